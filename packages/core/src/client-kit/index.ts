/**
 * `@batchwatch/core/client-kit`: the helpers a provider client (or your own job source) is built
 * from: `createSnapshot` and `mapStatus` (normalizing a provider's answer), option resolution, a request guard that checks parameters before anything is sent,
 * parameter rules generated from an OpenAPI spec, `Retry-After` / rate-limit header parsing, and
 * turning an openapi-fetch result into data or a typed batchwatch error. Apps that only watch jobs
 * never need this entry.
 *
 * @module
 */

export type { SnapshotInit, StatusTable } from '../job-state.js';
export * from './http.js';
export * from './options.js';
export * from './params.js';
export * from './shape.js';
export * from './snapshot.js';
