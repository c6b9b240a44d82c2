export { createRunflowClient, RUNFLOW_BASE_URL, type RunflowClient, type RunflowClientOptions } from './client.js';
export { parseRunflowError } from './errors.js';
export { paramRules as runflowParamRules } from './generated/params.gen.js';
export type {
  components,
  KnownBatchStatusCode,
  KnownRunStatusCode,
  operations,
  paths,
  webhooks,
} from './generated/schema.gen.js';
export {
  type RunflowBatch,
  type RunflowRun,
  runflowBatch,
  runflowBatchKind,
  runflowBatchSnapshot,
  runflowBatchStatusTable,
  runflowRun,
  runflowRunKind,
  runflowRunSnapshot,
  runflowRunStatusTable,
} from './jobs.js';
export {
  RUNFLOW_ITEMS_PAGE_MAX,
  type RunflowBatchItem,
  runflowBatchItem,
  runflowBatchItems,
  runflowItemStatusTable,
} from './results.js';
