export {
  createSupermetricsClient,
  SUPERMETRICS_BASE_URL,
  type SupermetricsClient,
  type SupermetricsClientOptions,
  supermetricsQuerySerializer,
} from './client.js';
export { parseSupermetricsError } from './errors.js';
export { paramRules as supermetricsParamRules } from './generated/params.gen.js';
export type {
  components,
  KnownBatchQueryStatusCode,
  KnownQueryBatchStatusCode,
  KnownQueryStatusCode,
  operations,
  paths,
} from './generated/schema.gen.js';
export {
  type SupermetricsBatchRaw,
  type SupermetricsBatchStatus,
  type SupermetricsContextType,
  type SupermetricsQueryBatch,
  type SupermetricsQueryStatus,
  type SupermetricsQueryStatusOptions,
  startSupermetricsQuery,
  supermetricsBatch,
  supermetricsBatchKind,
  supermetricsBatchSnapshot,
  supermetricsBatchStatus,
  supermetricsBatchStatusTable,
  supermetricsQueryKind,
  supermetricsQuerySnapshot,
  supermetricsQueryStatus,
  supermetricsQueryStatusTable,
} from './jobs.js';
export {
  SUPERMETRICS_BATCH_PAGE_MAX,
  SUPERMETRICS_RESULTS_PAGE_MAX,
  SUPERMETRICS_STATUS_PAGE_MAX,
  type SupermetricsBatchQuery,
  type SupermetricsBatchQueryResult,
  type SupermetricsQueryRowsOptions,
  type SupermetricsRow,
  type SupermetricsTextRow,
  supermetricsBatchQueries,
  supermetricsBatchQueryItem,
  supermetricsBatchQueryResult,
  supermetricsBatchQueryStatusTable,
  supermetricsQueryRows,
} from './results.js';
