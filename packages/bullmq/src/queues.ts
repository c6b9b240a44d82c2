import { Queue, QueueEvents } from 'bullmq';
import type { queueOptions } from './common.js';
import { fleetQueueName } from './keys.js';
import { redisOf } from './queue-tools.js';

/** @internal What a fleet hears from a provider's events stream, by BullMQ job id. */
export interface FleetEventSink {
  progress(jobId: string, data: unknown): void;
  completed(jobId: string, returnvalue: unknown): void;
  failed(jobId: string, failedReason: string): void;
}

interface ProviderSide {
  queue: Queue;
  events?: Promise<QueueEvents>;
}

/**
 * @internal A fleet's connections, per provider: the provider's queue (opened on first use) and its
 * events stream (`QueueEvents`, opened on the first watch or cancel), whose job events go to `sink`.
 */
export class FleetQueues {
  readonly #sides = new Map<string, ProviderSide>();

  constructor(
    readonly options: ReturnType<typeof queueOptions>,
    readonly onError: (error: unknown) => void,
    readonly sink: FleetEventSink,
  ) {}

  /** The provider's queue. */
  queue(provider: string): Queue {
    return this.#side(provider).queue;
  }

  /** The provider's events stream, started once; a failed start (Redis down) is tried again next time. */
  events(provider: string): Promise<QueueEvents> {
    const side = this.#side(provider);
    side.events ??= this.#listen(provider, side.queue);
    side.events.catch(() => {
      if (this.#sides.get(provider) === side) side.events = undefined;
    });
    return side.events;
  }

  /** Resolves once the queues of `providers` are connected. */
  async waitUntilReady(providers: Iterable<string>): Promise<void> {
    await Promise.all([...providers].map((provider) => this.queue(provider).waitUntilReady()));
  }

  /** Closes every events stream and queue. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#sides.values()].map(async (side) => {
        const events = await side.events?.catch(() => undefined);
        await events?.close();
        await side.queue.close();
      }),
    );
  }

  #side(provider: string): ProviderSide {
    let side = this.#sides.get(provider);
    if (!side) {
      const queue = new Queue(fleetQueueName(provider), this.options.queue);
      queue.on('error', this.onError);
      side = { queue };
      this.#sides.set(provider, side);
    }
    return side;
  }

  async #listen(provider: string, queue: Queue): Promise<QueueEvents> {
    // Start reading the events stream where it ends now, and only then read job states: nothing
    // that happens after the state read is missed (QueueEvents alone starts at `$`, whenever its
    // first read runs).
    let lastEventId = '$';
    const client = await redisOf(queue);
    if (client) {
      const last = await client.xrevrange(queue.toKey('events'), '+', '-', 'COUNT', 1);
      lastEventId = last[0]?.[0] ?? '0-0';
    }
    const events = new QueueEvents(fleetQueueName(provider), { ...this.options.base, lastEventId, autorun: true });
    events.on('error', this.onError);
    events.on('progress', ({ jobId, data }) => this.sink.progress(jobId, data));
    events.on('completed', ({ jobId, returnvalue }) => this.sink.completed(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.sink.failed(jobId, failedReason));
    await events.waitUntilReady();
    return events;
  }
}
