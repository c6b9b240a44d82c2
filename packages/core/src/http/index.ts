/**
 * `@batchwatch/core/http`: serve normalized job snapshots from your server (where the provider
 * keys live) and poll them from a browser. Fetch API only: runs in browsers, Node, Bun, Deno and
 * edge runtimes.
 *
 * @module
 */
export type { CallerLimit } from './caller-limit.js';
export {
  createJobStatusHandler,
  type JobSourceMap,
  type JobStatusHandler,
  type JobStatusHandlerOptions,
} from './handler.js';
export {
  type RemoteClientOptions,
  type RemoteJobSource,
  type RemoteSourceFactory,
  type RemoteSourceOptions,
  remoteSource,
} from './remote-source.js';
export type {
  JobCancelBody,
  JobRef,
  JobStatusBody,
  JobStatusErrorBody,
  JobStatusErrorCode,
  WireHints,
  WireSnapshot,
} from './wire.js';
