export { parseDuration } from './args.js';
export { DEMO_JOBS, runDemo } from './demo.js';
export { type CliIo, HELP, run } from './main.js';
export { type JobRef, KEY_ENV, KINDS, type ProviderName, parseJobRef, UsageError } from './refs.js';
export type { JobRow, Output, Reporter } from './report.js';
export {
  type CsvFieldOptions,
  csvField,
  ITEM_COLUMNS,
  RESULT_FORMATS,
  type ResultFormat,
  type ResultsSettings,
  writeResults,
} from './results.js';
export { EXIT, type WatchResult, type WatchSettings, watchJobs } from './watch.js';
