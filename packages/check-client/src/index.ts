export { CHECK_BASE_URL, type CheckClient, type CheckClientOptions, createCheckClient } from './client.js';
export { parseCheckError } from './errors.js';
export { paramRules as checkParamRules } from './generated/params.gen.js';
export type {
  components,
  KnownBatchStatus,
  KnownDecision,
  KnownItemStatus,
  KnownWebhookEventType,
  operations,
  paths,
  webhooks,
} from './generated/schema.gen.js';
export {
  type CheckBatch,
  checkBatch,
  checkBatchKind,
  checkBatchSnapshot,
  checkBatchStatus,
  checkBatchStatusTable,
} from './jobs.js';
export {
  CHECK_RESULTS_PAGE_MAX,
  type CheckBatchResultsOptions,
  type CheckResultItem,
  checkBatchResults,
  checkItemStatusTable,
  checkResultItem,
} from './results.js';
