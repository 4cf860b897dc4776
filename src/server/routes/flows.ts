// Flow, batch and dependency routes (decision 0018): enqueue a tree of jobs or a batch with its
// callback in one atomic store operation, read a batch's counts, a flow's tree and how a job's
// dependencies ended. Writes need the full token, reads the read-only one (GET).
import type { FastifyInstance } from "fastify";
import type { Client } from "../../core/client.js";
import { MAX_TREE_JOBS } from "../../core/flows.js";
import { JOB_BOUNDS } from "../../core/job-rules.js";
import { batchBody, batchCreated, batchSchema, dependenciesAnswer, flowCreated, flowJobRef, treeAnswer } from "../flow-schemas.js";
import { batchFromBody, batchView, flowFromBody, outcomeView, treeView, type BatchBody, type FlowBody } from "../flow-views.js";
import type { JsonDepthRouteConfig } from "../json-body.js";
import { errorRef, jobIdParams } from "../schemas.js";
import { jobView } from "../views.js";

interface IdParams {
  id: string;
}

// Each level of a flow nests two JSON levels (the child object inside the children array), on
// top of what the payloads and meta of the deepest job nest.
const flowDepthConfig: JsonDepthRouteConfig = { extraJsonDepth: 2 * JOB_BOUNDS.maxFlowDepth };

/** Registers the flow, batch and dependency routes. */
export function registerFlowRoutes(app: FastifyInstance, client: Client): void {
  app.post<{ Body: FlowBody }>(
    "/flows",
    {
      config: flowDepthConfig,
      schema: {
        tags: ["flows"],
        summary: "Enqueue a flow: a tree of jobs, each parent run after its children; all stored or none",
        body: flowJobRef,
        response: { 201: flowCreated, "4xx": errorRef },
      },
    },
    async (request, reply) => {
      const { root, jobs } = await client.enqueueFlow(flowFromBody(request.body));
      return reply.code(201).send({ root: jobView(root), jobs: jobs.map(jobView) });
    },
  );

  app.post<{ Body: BatchBody }>(
    "/batches",
    {
      schema: {
        tags: ["flows"],
        summary: "Enqueue a batch: jobs and a callback that runs once when they are final; all stored or none",
        body: batchBody,
        response: { 201: batchCreated, "4xx": errorRef },
      },
    },
    async (request, reply) => {
      const { batch, jobs } = await client.enqueueBatch(batchFromBody(request.body));
      return reply.code(201).send({ batch: batchView(batch), jobs: jobs.map(jobView) });
    },
  );

  app.get<{ Params: IdParams }>(
    "/batches/:id",
    { schema: { tags: ["flows"], summary: "A batch: how its members have ended so far, and its callback", params: jobIdParams, response: { 200: batchSchema, "4xx": errorRef } } },
    async (request) => batchView(await client.getBatch(request.params.id)),
  );

  app.get<{ Params: IdParams }>(
    "/jobs/:id/tree",
    {
      schema: {
        tags: ["jobs"],
        summary: `The flow a job belongs to, from its root down through what each job depends on (at most ${MAX_TREE_JOBS} jobs)`,
        params: jobIdParams,
        response: { 200: treeAnswer, "4xx": errorRef },
      },
    },
    async (request) => treeView(await client.jobTree(request.params.id)),
  );

  app.get<{ Params: IdParams }>(
    "/jobs/:id/dependencies",
    {
      schema: {
        tags: ["jobs"],
        summary: "How each job this one depends on ended (or stands now), with its result or error",
        params: jobIdParams,
        response: { 200: dependenciesAnswer, "4xx": errorRef },
      },
    },
    async (request) => ({ dependencies: (await client.dependencyOutcomes(request.params.id)).map(outcomeView) }),
  );
}
