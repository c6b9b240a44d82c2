import type { Queue } from 'bullmq';

// What a fleet does to a BullMQ queue that BullMQ has no single call for.

/** @internal The commands of BullMQ's own Redis connection that a fleet sends itself. */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  pttl(key: string): Promise<number>;
  xrevrange(key: string, end: string, start: string, count: 'COUNT', n: number): Promise<[string, string[]][]>;
}

/** @internal The Redis connection a BullMQ queue uses, or `undefined` when it has none (yet). */
export async function redisOf(queue: Queue): Promise<RedisCommands | undefined> {
  const backend = queue.getBackend() as unknown as { client?: Promise<RedisCommands> };
  return backend.client ? await backend.client : undefined;
}

/**
 * @internal Moves a delayed job to waiting, so a worker polls it now: a no-op for a job that is not
 * there or not delayed. A failed read of the job's state rejects; a failed promotion (the job moved
 * meanwhile) does not.
 */
export async function promoteIfDelayed(queue: Queue, jobId: string): Promise<void> {
  const job = await queue.getJob(jobId).catch(() => undefined);
  if (job && (await job.isDelayed())) await job.promote().catch(() => {});
}
