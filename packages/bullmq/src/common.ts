import { ValidationError } from '@batchwatch/core';
import type { ConnectionOptions, QueueOptions } from 'bullmq';
import { DEFAULT_PREFIX, type FleetConnection } from './keys.js';
import { positive } from './limits.js';

/** Options that a fleet and its workers must agree on. */
export interface SharedOptions {
  /** Where Redis is: a `redis://` / `rediss://` URL or BullMQ connection options. */
  connection: FleetConnection;
  /** The prefix of every Redis key of the fleet; fleets with different prefixes never meet. Defaults to `'batchwatch'`. */
  prefix?: string;
  /**
   * How many events each provider's BullMQ events stream keeps (progress, completed...). Watchers
   * read job state before they subscribe, so a short stream loses nothing. Defaults to `1000`.
   */
  eventsMaxLength?: number;
}

/** @internal The BullMQ job name of a watch step. */
export const WATCH_JOB = 'watch';
/** @internal The BullMQ job name of a cancel request. */
export const CANCEL_JOB = 'cancel';

/** @internal The id of the cancel job for a watch job (four dot-separated parts; a watch id has three). */
export const cancelJobId = (watchJobId: string): string => `cancel.${watchJobId}`;

/** @internal The watch job id a cancel job is about, or `undefined`. */
export function cancelTarget(jobId: string): string | undefined {
  return jobId.startsWith('cancel.') && jobId.split('.').length === 4 ? jobId.slice('cancel.'.length) : undefined;
}

/** @internal BullMQ options for queues and workers of a fleet. */
export function queueOptions(options: {
  connection: ConnectionOptions;
  prefix?: string | undefined;
  eventsMaxLength?: number | undefined;
}): {
  base: { connection: ConnectionOptions; prefix: string };
  queue: QueueOptions;
} {
  const { connection, prefix = DEFAULT_PREFIX, eventsMaxLength = 1000 } = options;
  positive(eventsMaxLength, 'eventsMaxLength', true);
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_{}-]{1,64}$/.test(prefix)) {
    throw new ValidationError('prefix', '1-64 characters of A-Z, a-z, 0-9, _, -, { or }', {
      received: JSON.stringify(String(prefix).slice(0, 70)),
    });
  }
  const base = { connection, prefix };
  return { base, queue: { ...base, streams: { events: { maxLen: eventsMaxLength } } } };
}
