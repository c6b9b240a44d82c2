export { type Clock, systemClock } from './clock.js';
export * from './errors.js';
export {
  type CreateJobHandleOptions,
  createJobHandle,
  type HandleOwner,
  JOB_HANDLE_VERSION,
  type JobHandle,
  type PollOnceOptions,
  type PollOnceResult,
  parseJobHandle,
  pollOnce,
} from './handle.js';
export * from './job-state.js';
export type { JobNotification, PushModeOptions, PushOptions } from './notify.js';
export type {
  OutcomeOptions,
  PollErrorInfo,
  PollEvent,
  PollOptions,
  WatchCallbacks,
  WatchOptions,
} from './options.js';
export {
  computeNextDelay,
  type DelayInput,
  type DelaySource,
  MAX_DELAY_MS,
  type NextDelay,
  type ScheduleOptions,
} from './schedule.js';
export {
  createJobScheduler,
  type JobScheduler,
  type JobSchedulerOptions,
  type ProviderLimits,
  type ScheduledWatchOptions,
  type SchedulerStats,
} from './scheduler.js';
export * from './source.js';
export { type JobWatch, resumeJob, waitForJob, watchJob } from './watch.js';
