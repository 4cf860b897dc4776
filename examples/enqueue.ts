// A producer: enqueues a wiki generation for a project, prints its progress events, and waits
// for the result. Run next to `caudex dev`: node --import tsx examples/enqueue.ts 42
import { createClient } from "../src/index.js";
import { generateWiki } from "../src/examples/tasks.js";

const projectId = process.argv[2] ?? "42";
const client = await createClient();
const job = await client.enqueue(generateWiki, { projectId, pages: 5 }, { meta: { projectId, userId: "example" } });
console.log(`enqueued ${job.id} (${job.status})`);
const unwatch = await client.on("job:progress", (event) => {
  if (event.jobId === job.id) console.log("progress", JSON.stringify(event.progress));
});
const done = await client.wait(job.id, { timeoutMs: 120_000 });
await unwatch();
console.log(`${done.status}:`, JSON.stringify(done.result ?? done.error));
await client.close();
