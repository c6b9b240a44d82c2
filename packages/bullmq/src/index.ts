/**
 * `@batchwatch/bullmq`: watch batch jobs from many processes and machines on BullMQ and Redis.
 * One BullMQ step job per provider job (`pollOnce` per step, delayed to the next poll), one provider
 * budget shared by every worker, a 429 that pauses every worker of its provider, stalled-job
 * takeover when a worker dies, and `JobWatch`es fed by BullMQ events in any process.
 *
 * @module
 */
export type { SharedOptions } from './common.js';
export {
  createFleet,
  type Fleet,
  type FleetAddOptions,
  type FleetJobInfo,
  type FleetOptions,
  type FleetWatchOptions,
} from './fleet.js';
export { type FleetConnection, fleetJobId, fleetQueueName, parseFleetJobId } from './keys.js';
export type { FleetJobData, FleetJobOptions, StoredSnapshot } from './snapshot.js';
export { type FleetSnapshotsOptions, fleetSnapshots } from './snapshots.js';
export { FleetJobError, type FleetViewOptions } from './watch.js';
export { createFleetWorker, type FleetProviderLimits, type FleetWorker, type FleetWorkerOptions } from './worker.js';
