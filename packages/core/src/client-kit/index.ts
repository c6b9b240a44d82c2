/**
 * `@batchwatch/core/client-kit`: the helpers a provider client (or your own job source) is built
 * from: a job kind described as data (`JobKind`) and the builders that turn it into its `JobSource`
 * and result pager (`createJobSource`, `createResultPager`), `createSnapshot` and `mapStatus`
 * (normalizing a provider's answer by hand), option resolution, a request guard that checks
 * parameters before anything is sent, parameter rules generated from an OpenAPI spec,
 * `Retry-After` / rate-limit header parsing, and turning an openapi-fetch result into data or a
 * typed batchwatch error. Apps that only watch jobs never need this entry.
 *
 * @module
 */

export type { SnapshotInit, StatusTable } from '../job-state.js';
export * from './http.js';
export { createJobSource } from './job-source.js';
export {
  type CountField,
  type FieldPath,
  fieldAt,
  itemFromKind,
  type JobKind,
  type KindItem,
  type KindProgress,
  type KindRequest,
  type KindResults,
  type KindStatus,
  type KindTimestamps,
  type PageAt,
  type PageCount,
  progressFromKind,
  snapshotFromKind,
  statusFromKind,
} from './kind.js';
export * from './options.js';
export { createResultPager } from './pager.js';
export * from './params.js';
export * from './shape.js';
export * from './snapshot.js';
