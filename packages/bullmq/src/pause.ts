import type { Job, Queue } from 'bullmq';
import { redisOf } from './queue-tools.js';

// How long a job may have waited in this worker after BullMQ admitted it before we check again that
// no other worker's 429 paused the provider in the meantime.
const STALE_ADMISSION_MS = 100;

/**
 * @internal A provider's 429 pause. A 429 sets BullMQ's manual rate limit on the provider's queue,
 * which stops every worker of the fleet from taking jobs until its `Retry-After`; jobs this worker
 * already took check the pause before they send a request.
 */
export class ProviderPause {
  // A 429 this process saw: no request until then, whatever BullMQ already handed out.
  #pausedUntil = 0;

  constructor(readonly queue: Queue) {}

  /** Pauses every worker of the provider for `ms`. */
  async pause(ms: number): Promise<void> {
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms);
    await this.queue.rateLimit(Math.ceil(ms));
  }

  /** How long the provider is still paused by a 429 that any worker saw, in ms (0 when it is not). */
  async pausedFor(job: Job): Promise<number> {
    const local = this.#pausedUntil - Date.now();
    if (local > 0) return local;
    if (Date.now() - (job.processedOn ?? 0) < STALE_ADMISSION_MS) return 0;
    const client = await redisOf(this.queue);
    if (!client) return 0;
    const key = this.queue.toKey('limiter');
    const [value, ttl] = await Promise.all([client.get(key), client.pttl(key)]);
    // A manual rate limit sets the counter to MAX_SAFE_INTEGER; the limiter's own windows never get near.
    return Number(value) >= Number.MAX_SAFE_INTEGER && ttl > 0 ? ttl : 0;
  }
}
