// Public API of Caudex: define tasks, enqueue and inspect jobs, run workers, pick a store.
export { Client } from "./core/client.js";
export { DEFAULT_CLIENT_DEFAULTS } from "./core/enqueue-options.js";
export {
  DEFAULT_BACKOFF,
  JOB_BOUNDS,
  JOB_DEFAULTS,
  META_JSON_LIMITS,
  PAYLOAD_JSON_LIMITS,
  QUEUE_NAME_PATTERN,
  SCHEDULE_BOUNDS,
  TASK_NAME_PATTERN,
  isValidQueueName,
  isValidTaskName,
} from "./core/job-rules.js";
export type { ClientOptions, PurgeOptions, WaitOptions } from "./core/client.js";
export type { JobOf, ResultOf } from "./core/typed-job.js";
export type { ClientDefaults, EnqueueOptions } from "./core/enqueue-options.js";
export { Worker } from "./core/worker.js";
export { RetryAfter, UnrecoverableError } from "./core/task-errors.js";
export type { BatchRequest, BatchState, FlowJob, FlowResult, JobTree } from "./core/flows.js";
export type { ChildJob } from "./core/job-links.js";
export type { LimitDefinition, LimitKey, LimitPage, LimitSetting, LimitUsage, RateLimit } from "./core/limits.js";
export type { Limits, LimitChange } from "./core/limit-control.js";
export type { WorkerOptions } from "./core/worker.js";
export type { IsolationOptions } from "./core/process-pool.js";
export { defineTask, isTaskDefinition, TaskRegistry } from "./core/task.js";
export { defineSchedule, isDeclaredSchedule } from "./core/schedule-definition.js";
export type { DeclaredSchedule } from "./core/schedule-definition.js";
export { Schedules } from "./core/schedules.js";
export type { CatchUp, Overlap, Schedule, ScheduleDefinition, ScheduleJobOptions, ScheduleTiming } from "./core/schedule.js";
export type { SchedulePage, UpsertOutcome } from "./core/store.js";
export type { TaskContext, TaskDefinition, TaskHandler, TaskOptions, PayloadOf } from "./core/task.js";
export { JOB_STATUSES, isFinal } from "./core/job-states.js";
export type { JobStatus } from "./core/job-states.js";
export type {
  BackoffPolicy,
  ClaimedJob,
  Job,
  JobError,
  JobFilter,
  JobMeta,
  JobPage,
  Json,
  NewJob,
  QueueStats,
  WorkerInfo,
} from "./core/job.js";
export type { JobPlace, Store, StoreHealth } from "./core/store.js";
export { EXPLAIN_CODES } from "./core/explain.js";
export type { ExplainCode, ExplainReason, Explanation, WaitingDependency } from "./core/explain.js";
export { JOB_EVENT_TYPES } from "./core/events.js";
export type { JobEvent, JobEventType, WorkerEvents } from "./core/events.js";
export * from "./core/errors.js";
export { systemClock, ManualClock } from "./core/clock.js";
export type { Clock } from "./core/clock.js";
export { consoleLogger, levelEnabled, silentLogger } from "./core/logger.js";
export type { ConsoleLoggerOptions, Logger, LogLevel } from "./core/logger.js";
export { asLogger, fromPino, isPinoLike } from "./core/pino-logger.js";
export type { PinoLikeLogger } from "./core/pino-logger.js";
export { Maintenance, runMaintenance, DEFAULT_MAINTENANCE } from "./core/maintenance.js";
export type { StandardSchemaV1 } from "./core/standard-schema.js";
export { SqliteStore } from "./stores/sqlite/sqlite-store.js";
export type { SqliteStoreOptions } from "./stores/sqlite/sqlite-store.js";
export { createClient, createStore } from "./connect.js";
export type { ConnectOptions, RedisSettings } from "./connect.js";
