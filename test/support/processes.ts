// Starts real child processes for fault tests and waits for lines they print.
import { spawn, type ChildProcess } from "node:child_process";

/** A running child process with its collected output. */
export interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawns a TypeScript file with tsx, with extra environment variables. */
export function spawnTs(file: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}
