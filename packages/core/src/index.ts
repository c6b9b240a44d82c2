/**
 * `@batchwatch/core`: the job model every provider's statuses map onto, the errors a watch can
 * meet, and `watchJob` / `waitForJob`: polling one job with server hints, backoff with jitter,
 * deadlines and abort. Everything else is in its own entry (`/scheduler`, `/handles`, `/results`,
 * `/webhooks`, `/client-kit`, `/http`).
 *
 * @module
 */
export { type Clock, systemClock } from './clock.js';
export * from './errors.js';
export type { JobHandle } from './handle-format.js';
export * from './job-state.js';
export {
  computeNextDelay,
  type DelayInput,
  type DelaySource,
  type EndPrediction,
  MAX_DELAY_MS,
  type NextDelay,
  type ScheduleOptions,
  type StalenessPreset,
} from './next-delay.js';
export type { JobNotification, PushModeOptions, PushOptions } from './notify.js';
export type {
  OutcomeOptions,
  PollErrorInfo,
  PollEvent,
  PollOptions,
  WatchCallbacks,
  WatchOptions,
} from './options.js';
export * from './source.js';
export { type JobWatch, waitForJob, watchJob } from './watch.js';
