// A producer: enqueues a wiki generation for a project, prints its progress events, and waits
// for the result. Run it next to `caudex dev` (same directory, same ./data/caudex.db):
//   node examples/enqueue.mjs 42                      (in a clone, after npm run build)
//   node node_modules/caudex/examples/enqueue.mjs 42  (where caudex is installed)
import { createClient } from "caudex";

const projectId = process.argv[2] ?? "42";
const timeoutMs = Number(process.env.EXAMPLE_TIMEOUT_MS ?? 120_000);
const client = await createClient();
// By name: the task (one of caudex dev's bundled examples) runs wherever a worker knows it.
const job = await client.enqueue("generate_wiki", { projectId, pages: 5 }, { meta: { projectId, userId: "example" } });
console.log(`enqueued ${job.id} (${job.status})`);
const unwatch = await client.on("job:progress", (event) => {
  if (event.jobId === job.id) console.log("progress", JSON.stringify(event.progress));
});
try {
  const done = await client.wait(job.id, { timeoutMs });
  console.log(`${done.status}:`, JSON.stringify(done.result ?? done.error));
} finally {
  await unwatch();
  await client.close();
}
