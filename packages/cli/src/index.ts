export { DEMO_JOBS, runDemo } from './demo.js';
export { type CliIo, HELP, parseDuration, run } from './main.js';
export { type JobRef, KEY_ENV, KINDS, parseJobRef, UsageError } from './refs.js';
export { EXIT } from './watch.js';
