// `npm run bench`: Caudex against BullMQ on a private redis-server (no persistence, then AOF
// everysec), alternating systems each round, then Caudex on SQLite; prints medians and ratios.
// Flags: --rounds N, --jobs N, --quick, --scenarios a,b, --passes none,aof,sqlite, --write-docs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RedisServer } from "../test/support/redis-server.js";
import { writeBenchmarkDoc } from "./doc-writer.js";
import { machineReport } from "./machine.js";
import { RedisProbe } from "./redis-probe.js";
import { absoluteTable, comparisonTable, type Series } from "./report.js";
import { SCENARIOS, type Bed } from "./scenarios.js";
import type { SystemName } from "./systems.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string" },
    jobs: { type: "string" },
    quick: { type: "boolean", default: false },
    scenarios: { type: "string" },
    passes: { type: "string" },
    "write-docs": { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const jobs = Number(values.jobs ?? (values.quick ? 2000 : 20_000));
const wanted = values.scenarios?.split(",");
const scenarios = SCENARIOS.filter((s) => wanted === undefined || wanted.includes(s.name));
const passes = (values.passes ?? "none,aof,sqlite").split(",");

function record(series: Series, figures: Record<string, number>): void {
  for (const [key, value] of Object.entries(figures)) series.set(key, [...(series.get(key) ?? []), value]);
}

async function redisPass(appendfsync: "everysec" | undefined): Promise<Record<"caudex" | "bullmq", Series>> {
  const server = await RedisServer.start(appendfsync === undefined ? {} : { appendfsync });
  const probe = new RedisProbe(server.url);
  const bed = (system: SystemName): Bed => ({ system, probe, fresh: async () => (await probe.flush(), { system, location: server.url }) });
  const results = { caudex: new Map(), bullmq: new Map() } as Record<"caudex" | "bullmq", Series>;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios) {
        const order: Array<"caudex" | "bullmq"> = round % 2 === 0 ? ["caudex", "bullmq"] : ["bullmq", "caudex"];
        for (const system of order) {
          const figures = await scenario.run(bed(system), jobs);
          console.error(`[${appendfsync ?? "no persistence"}] round ${round + 1} ${scenario.name} ${system}: ${JSON.stringify(figures, (_k, v: unknown) => (typeof v === "number" ? Math.round(v * 100) / 100 : v))}`);
          record(results[system], figures);
        }
      }
    }
  } finally {
    await probe.close();
    await server.stop();
  }
  return results;
}

async function sqlitePass(): Promise<Series> {
  const dir = mkdtempSync(join(tmpdir(), "caudex-bench-"));
  let n = 0;
  const bed: Bed = { system: "sqlite", probe: null, fresh: async () => ({ system: "sqlite", location: join(dir, `run-${n++}.db`) }) };
  const series: Series = new Map();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios.filter((s) => s.redisOnly !== true)) {
        const figures = await scenario.run(bed, jobs);
        console.error(`[sqlite] round ${round + 1} ${scenario.name}: ${JSON.stringify(figures)}`);
        record(series, figures);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return series;
}

const sections: string[] = [];
const command = `npm run bench -- --rounds ${rounds} --jobs ${jobs}${values.passes === undefined ? "" : ` --passes ${values.passes}`}${wanted === undefined ? "" : ` --scenarios ${values.scenarios}`}`;
if (passes.includes("none")) {
  const r = await redisPass(undefined);
  sections.push(`### Redis without persistence\n\n${comparisonTable(r.caudex, r.bullmq)}`);
}
if (passes.includes("aof")) {
  const r = await redisPass("everysec");
  sections.push(`### Redis with AOF, appendfsync everysec\n\n${comparisonTable(r.caudex, r.bullmq)}`);
}
if (passes.includes("sqlite")) sections.push(`### Caudex on SQLite (WAL, synchronous=FULL)\n\n${absoluteTable(await sqlitePass())}`);

const body = `${machineReport()}\n- ${jobs.toLocaleString("en-US")} jobs per run, ${rounds} round(s), medians with (min–max)\n- command: \`${command} --write-docs\`\n\n${sections.join("\n\n")}`;
console.log(body);
if (values["write-docs"]) writeBenchmarkDoc(body);
