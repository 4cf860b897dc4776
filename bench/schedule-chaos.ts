// Schedule fault soak (`npm run chaos:schedules`): worker processes on one Redis and one SQLite
// file all declare the same schedules (every second; every minute by cron) and are SIGKILLed and
// restarted at random for minutes, with one outage of every worker longer than the misfire
// grace. Every fire time must have exactly one job, except what catch-up "latest" leaves out of
// the outage: all of its missed fires but the latest. Prints the counts; exits 1 on a miss.
// Flags: --seconds N (default 240), --workers N per store (default 3), --kill-every S (default
// 3), --outage S (default 45; 0 for none).
import { parseArgs } from "node:util";
import { runScheduleSoak } from "../test/support/schedule-soak.js";

const { values } = parseArgs({ options: { seconds: { type: "string" }, workers: { type: "string" }, "kill-every": { type: "string" }, outage: { type: "string" } } });
const seconds = Number(values.seconds ?? 240);
const reports = await runScheduleSoak({
  seconds,
  workersPerStore: Number(values.workers ?? 3),
  killEveryMs: Number(values["kill-every"] ?? 3) * 1000,
  outageMs: Number(values.outage ?? 45) * 1000,
  log: (line) => console.log(line),
});
let ok = true;
for (const report of reports) {
  for (const c of report.counts) {
    const good = c.duplicated === 0 && c.unexplained.length === 0 && c.outageMissed === c.outageMissedExpected && (c.outageMissedExpected === 0 ? c.caughtUp <= 1 : c.caughtUp === 1);
    ok &&= good;
    console.log(
      `${report.store.padEnd(6)} ${c.scheduleId.padEnd(13)} fire times ${c.expected}, one job ${c.once}, duplicated ${c.duplicated}, unexplained misses ${c.unexplained.length}, ` +
        `outage: missed ${c.outageMissed} (catch-up latest expects ${c.outageMissedExpected}), caught up ${c.caughtUp} ${good ? "OK" : "FAIL"}`,
    );
  }
  console.log(`${report.store}: ${report.kills} worker SIGKILLs over ${seconds} s`);
}
process.exit(ok ? 0 : 1);
