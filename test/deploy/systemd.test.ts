// deploy/systemd: the unit files pass `systemd-analyze verify` (with their paths rewritten to
// this checkout, since verify needs ExecStart's binary), restart on failure, read the
// environment file, and give a stopping worker more time than its grace period.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { durationSeconds, gracePeriodSeconds, readRepoFile, ROOT, run } from "./deploy-files.js";

const UNITS = ["caudex-api.service", "caudex-worker@.service"];

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync("systemd-analyze", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The [Service] section's settings (last value wins, as in systemd). */
function serviceSettings(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  let section = "";
  for (const line of text.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header !== null) section = header[1] as string;
    const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (section === "Service" && pair !== null) settings.set(pair[1] as string, pair[2] as string);
  }
  return settings;
}

const analyze = hasSystemdAnalyze();
const dir = mkdtempSync(join(tmpdir(), "caudex-systemd-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("systemd units", () => {
  it("pass systemd-analyze verify", async (ctx) => {
    if (!analyze) {
      // CI installs it (.ci/run); skipping there would hide a broken unit.
      if (process.env.CI === "true") throw new Error("systemd-analyze is missing (Debian package systemd)");
      ctx.skip();
    }
    const envFile = join(dir, "caudex.env");
    writeFileSync(envFile, readRepoFile("deploy/systemd/caudex.env.example"));
    const paths: string[] = [];
    for (const unit of UNITS) {
      const local = readRepoFile(`deploy/systemd/${unit}`)
        .replaceAll("/usr/bin/node", process.execPath)
        .replaceAll("/opt/caudex", ROOT)
        .replaceAll("/etc/caudex/caudex.env", envFile);
      // A template is verified through an instance of it, as systemd would start it.
      const name = unit.replace("@.service", "@3.service");
      writeFileSync(join(dir, name), local);
      paths.push(join(dir, name));
    }
    const result = await run("systemd-analyze", ["verify", "--man=no", ...paths], { cwd: dir });
    // Unknown keys and bad values are warnings naming the unit; none is allowed.
    const complaints = result.stderr.split("\n").filter((line) => /caudex-(api|worker)/.test(line));
    expect(complaints).toEqual([]);
    expect(result.code).toBe(0);
  });

  it("points ExecStart at the built CLI and restarts on failure with the environment file", () => {
    for (const unit of UNITS) {
      const s = serviceSettings(readRepoFile(`deploy/systemd/${unit}`));
      expect(s.get("ExecStart"), unit).toMatch(/^\/usr\/bin\/node \/opt\/caudex\/dist\/cli\/main\.js (serve|worker)\b/);
      expect(s.get("Restart"), unit).toBe("on-failure");
      expect(s.get("EnvironmentFile"), unit).toBe("/etc/caudex/caudex.env");
      expect(s.get("KillSignal"), unit).toBe("SIGTERM");
      expect(s.get("User"), unit).toBe("caudex");
      expect(s.get("NoNewPrivileges"), unit).toBe("yes");
    }
  });

  it("names each worker after its instance and waits longer than its grace period", () => {
    const s = serviceSettings(readRepoFile("deploy/systemd/caudex-worker@.service"));
    const args = (s.get("ExecStart") ?? "").split(/\s+/);
    expect(args[args.indexOf("--name") + 1]).toContain("%i");
    const grace = gracePeriodSeconds(args);
    const timeout = durationSeconds(s.get("TimeoutStopSec") ?? "90s");
    expect(timeout).toBeGreaterThanOrEqual(grace + 10);
  });
});
