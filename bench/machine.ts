// Describes where and with what a benchmark ran: CPUs, memory, versions, date.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

function packageVersion(path: string): string {
  return (JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as { version: string }).version;
}

function cpuModel(): string {
  const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
  return line?.split(":")[1]?.trim() ?? cpus()[0]?.model ?? "unknown";
}

/** One Markdown list describing the machine and the versions measured. */
export function machineReport(): string {
  const redis = /v=(\S+)/.exec(execFileSync("redis-server", ["--version"], { encoding: "utf8" }))?.[1] ?? "unknown";
  return [
    `- date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    `- machine: ${cpus().length} CPUs (\`nproc\`), ${cpuModel()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
    `- versions: node ${process.version}, redis-server ${redis}, bullmq ${packageVersion("../node_modules/bullmq/package.json")}, caudex ${packageVersion("../package.json")}, ioredis ${packageVersion("../node_modules/ioredis/package.json")}`,
  ].join("\n");
}
