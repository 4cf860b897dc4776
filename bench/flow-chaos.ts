// Dependency fault soak (`npm run chaos:flows`): on one Redis and one SQLite file, worker
// processes run A → 1,000 B → C with 5 % of the B jobs failing twice before they succeed while a
// worker is SIGKILLed about every second (each member takes 250 ms); then 10,000 flows of a parent and two children finishing
// together; then a flow canceled while it runs. Prints the counts; exits 1 on any miss.
// Flags: --members N (default 1000), --flows N (default 10000), --kill-every S (default 1),
// --stores redis,sqlite.
import { parseArgs } from "node:util";
import { runCancelMidFlow, runFanIn, runManyFlows, type SoakStore } from "../test/support/flow-soak.js";

const { values } = parseArgs({ options: { members: { type: "string" }, flows: { type: "string" }, "kill-every": { type: "string" }, stores: { type: "string" } } });
const members = Number(values.members ?? 1000);
const flows = Number(values.flows ?? 10_000);
const stores = (values.stores ?? "redis,sqlite").split(",") as SoakStore[];
let ok = true;
const check = (good: boolean, line: string): void => {
  ok &&= good;
  console.log(`${line} ${good ? "OK" : "FAIL"}`);
};
for (const kind of stores) {
  const fan = await runFanIn(kind, { members, flakyShare: 0.05, workers: 3, killEveryMs: Number(values["kill-every"] ?? 1) * 1000, taskMs: 250, timeoutMs: 600_000 });
  check(
    fan.kills >= 3 && fan.membersCompleted === members && fan.joinQueued === 1 && fan.joinStarts === 1 + fan.joinStalls && fan.joinSaw?.results === members && (fan.joinStartedAt ?? 0) >= fan.lastMemberFinishedAt,
    `${kind.padEnd(6)} fan-in: ${members} members (${fan.membersCompleted} completed), ${fan.kills} SIGKILLs in ${fan.seconds.toFixed(1)} s; join queued ${fan.joinQueued}x, ` +
      `started ${fan.joinStarts}x (stalls ${fan.joinStalls}), saw ${fan.joinSaw?.results ?? "-"} of ${fan.joinSaw?.of ?? "-"} results, ` +
      `claimed ${(fan.joinStartedAt ?? 0) - fan.lastMemberFinishedAt} ms after the last member finished`,
  );
  const many = await runManyFlows(kind, { flows, workers: 3, concurrency: 20, timeoutMs: 900_000 });
  check(
    many.parentsQueuedOnce === flows && many.parentsStartedOnce === flows,
    `${kind.padEnd(6)} ${flows} two-child flows in ${many.seconds.toFixed(1)} s (${many.jobsPerSecond} jobs/s): parents queued once ${many.parentsQueuedOnce}, started once ${many.parentsStartedOnce}`,
  );
  const cancel = await runCancelMidFlow(kind);
  check(
    cancel.startedAfterCancel === 0 && cancel.unfinished === 0,
    `${kind.padEnd(6)} cancel mid-flow: ${cancel.jobs} jobs, ${cancel.startedBeforeCancel} started before the cancel, ${cancel.startedAfterCancel} after, ${cancel.unfinished} unfinished`,
  );
}
process.exit(ok ? 0 : 1);
