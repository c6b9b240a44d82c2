import { type JobSource, type PollOptions, ValidationError } from '@batchwatch/core';
import { createJobHandle } from '@batchwatch/core/handles';
import { createJobScheduler } from '@batchwatch/core/scheduler';
import type { JobsOptions } from 'bullmq';
import { CANCEL_JOB, cancelJobId, WATCH_JOB } from './common.js';
import type { FleetAddOptions } from './fleet.js';
import { fleetJobId } from './keys.js';
import { type FleetJobData, type FleetJobOptions, packHandle } from './snapshot.js';

/** @internal A BullMQ job for `queue.add`: its name, data and options (with its `jobId`). */
export interface NewJob {
  name: string;
  data: FleetJobData | null;
  opts: JobsOptions & { jobId: string };
}

/**
 * @internal The watch job of a provider job, kept `keepFinishedSeconds` once finished. Throws
 * `ValidationError` for an id the source rejects or bad options.
 */
export function watchJob(
  source: JobSource<unknown>,
  id: string,
  options: FleetAddOptions,
  keepFinishedSeconds: number,
): NewJob {
  if (typeof id !== 'string' || id === '') throw new ValidationError('id', 'a non-empty string');
  const { timeoutMs, includeRaw, ...pollOptions } = options;
  if (includeRaw !== undefined && typeof includeRaw !== 'boolean') {
    throw new ValidationError('includeRaw', 'a boolean', { received: String(includeRaw) });
  }
  // createJobHandle checks the id and timeoutMs; core's scheduler checks every other poll option.
  const handle = createJobHandle(source, id, { timeoutMs });
  const stored: FleetJobOptions = pollOptions;
  checkPollOptions(pollOptions);
  if (includeRaw !== undefined) stored.includeRaw = includeRaw;
  const data: FleetJobData = { handle: packHandle(handle) };
  if (Object.keys(stored).length > 0) data.options = stored;
  const keep = { age: Math.ceil(keepFinishedSeconds) };
  return {
    name: WATCH_JOB,
    data,
    opts: {
      jobId: fleetJobId(source.provider, source.kind, id),
      // Steps never spend attempts; these retry a step that failed on a Redis error.
      attempts: 3,
      removeOnComplete: keep,
      removeOnFail: keep,
    },
  };
}

/** @internal The job that asks a worker to send the provider's cancel request for a watch job. */
export function cancelJob(watchJobId: string): NewJob {
  return {
    name: CANCEL_JOB,
    data: null,
    opts: {
      jobId: cancelJobId(watchJobId),
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      // Kept a minute, so a waiter that hears of it late still reads how it ended; a second
      // cancel within that minute is the same request.
      removeOnComplete: { age: 60 },
      removeOnFail: { age: 60 },
    },
  };
}

// Poll options are checked by core (a scheduler built with them throws `ValidationError` naming the
// bad one); the same options come again and again, so each distinct set is checked once.
const checked = new Set<string>();
function checkPollOptions(options: PollOptions): void {
  if (Object.keys(options).length === 0) return;
  const key = JSON.stringify(options);
  if (checked.has(key)) return;
  void createJobScheduler(options).close();
  if (checked.size > 100) checked.clear();
  checked.add(key);
}
