import { type JobSource, type PollOptions, ValidationError } from '@batchwatch/core';
import { DelayedError, type Job, type JobJson, Queue, UnrecoverableError, Worker } from 'bullmq';
import { queueOptions, type SharedOptions } from './common.js';
import { connectionOptions, fleetQueueName } from './keys.js';
import { limiterFor, positive } from './limits.js';
import { indexSources, printable, requestsPerPoll } from './sources.js';
import { ProviderSteps } from './steps.js';

/** Budgets of one provider, shared by every worker of the fleet on every machine. */
export interface FleetProviderLimits {
  /**
   * HTTP requests per second to this provider over all workers, held in every sliding second
   * (a poll is charged its source's `requestsPerPoll`). Defaults to unlimited.
   */
  requestsPerSecond?: number;
  /** Polls of this provider in flight at once in this worker. Defaults to the worker's `concurrency`. */
  concurrency?: number;
}

/** Options of {@link createFleetWorker}; the poll options are defaults for every job (a job's own win). */
export interface FleetWorkerOptions extends PollOptions, SharedOptions {
  /** The job sources this worker polls with, built with this machine's keys: `[runflowBatch(client)]`. */
  sources: readonly JobSource<unknown, unknown>[];
  /** Polls in flight at once per provider in this worker. Defaults to `10`. */
  concurrency?: number;
  /** Budgets per provider name (`'runflow'`...). Defaults to none. */
  perProvider?: Readonly<Record<string, FleetProviderLimits>>;
  /**
   * How long a worker holds a job it is polling before other workers may take it over (it renews
   * the lock while alive). Defaults to `30_000` ms.
   */
  lockDuration?: number;
  /** How often this worker looks for jobs whose worker died (stalled jobs). Defaults to `30_000` ms. */
  stalledInterval?: number;
  /**
   * How many times a job may be taken over from a dead worker before it fails. BullMQ never resets
   * this count between polls, so a long watch needs room. Defaults to `100`.
   */
  maxStalledCount?: number;
  /** Keep each provider's raw body in progress and final snapshots (costs Redis memory). Defaults to `false`. */
  includeRaw?: boolean;
  /** Called with errors of the connections and of jobs, for logging. Defaults to none. */
  onError?: (error: unknown) => void;
}

/** A running fleet worker. See {@link createFleetWorker}. */
export interface FleetWorker {
  /** The providers this worker polls (one BullMQ queue each). */
  readonly providers: readonly string[];
  /** Resolves once every connection of this worker is ready. */
  waitUntilReady(): Promise<void>;
  /**
   * Stops taking jobs, waits for the polls in flight to be stored (each job goes back to its
   * delayed step or finishes), and closes the connections. Call it on SIGTERM.
   */
  close(): Promise<void>;
}

const RAW_PREFIX = 'InvalidHandleError: job data is not valid JSON';

// A job whose data is not JSON (edited by hand) would make stock BullMQ throw before the processor
// runs, leaving the job to cycle active -> stalled -> wait forever in a worker slot: fail it instead.
class FleetBullWorker<T> extends Worker<T> {
  protected override createJob(data: JobJson, jobId: string): Job<T> {
    try {
      return super.createJob(data, jobId);
    } catch (error) {
      const job = super.createJob({ ...data, data: 'null' }, jobId);
      job.deferredFailure = `${RAW_PREFIX} (${printable(error instanceof Error ? error.message : String(error), 120)}); was it edited by hand? Remove the job and add it again`;
      return job;
    }
  }
}

/**
 * Starts a fleet worker: for each provider of `sources`, a BullMQ worker that runs one
 * `pollOnce` step per job, stores the next handle, reports changed snapshots as progress, and moves
 * the job to delayed until its next poll; terminal jobs complete with the final snapshot as return
 * value (`failed` and `cancelled` too: they are answers), fatal poll errors fail the job with the
 * error's name and message. Every worker of a provider shares one limiter in Redis, and a 429 pauses
 * them all until its `Retry-After`. Throws `ValidationError` for bad options.
 *
 * @example
 * const worker = createFleetWorker({
 *   connection: process.env.REDIS_URL!,
 *   sources: [runflowBatch(createRunflowClient({ apiKey: process.env.RUNFLOW_API_TOKEN! }))],
 *   perProvider: { runflow: { requestsPerSecond: 10 } },
 * });
 * process.on('SIGTERM', () => void worker.close());
 */
export function createFleetWorker(options: FleetWorkerOptions): FleetWorker {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError('options', 'an object with connection and sources');
  }
  const {
    connection,
    sources,
    prefix,
    concurrency = 10,
    perProvider = {},
    lockDuration = 30_000,
    stalledInterval = 30_000,
    maxStalledCount = 100,
    includeRaw = false,
    onError = () => {},
    eventsMaxLength,
    ...pollDefaults
  } = options;
  const redis = connectionOptions(connection);
  const byProvider = indexSources(sources);
  positive(concurrency, 'concurrency', true);
  positive(lockDuration, 'lockDuration');
  positive(stalledInterval, 'stalledInterval');
  positive(maxStalledCount, 'maxStalledCount', true);
  for (const [provider, limits] of Object.entries(perProvider)) {
    positive(limits.requestsPerSecond, `perProvider.${provider}.requestsPerSecond`);
    positive(limits.concurrency, `perProvider.${provider}.concurrency`, true);
  }
  const shared = queueOptions({ connection: redis, prefix, eventsMaxLength });

  const queues: Queue[] = [];
  const workers: Worker[] = [];
  for (const [provider, kinds] of byProvider) {
    const limits = Object.hasOwn(perProvider, provider) ? perProvider[provider] : undefined;
    const limiter = limiterFor(limits?.requestsPerSecond, requestsPerPoll(kinds));
    const name = fleetQueueName(provider);
    const queue = new Queue(name, shared.queue);
    queue.on('error', onError);
    queues.push(queue);
    const steps = new ProviderSteps({ provider, kinds, queue, includeRaw, pollDefaults });
    const worker: Worker = new FleetBullWorker(name, (job, token) => steps.run(job, token, worker), {
      ...shared.base,
      concurrency: limits?.concurrency ?? concurrency,
      limiter,
      lockDuration,
      stalledInterval,
      maxStalledCount,
      // A rate limit (a 429's Retry-After) can be long; promote delayed jobs at least every 5 s meanwhile.
      maximumRateLimitDelay: 5000,
    });
    worker.on('error', onError);
    worker.on('failed', (_job, error) => {
      if (!(error instanceof UnrecoverableError) && !(error instanceof DelayedError)) onError(error);
    });
    workers.push(worker);
  }

  let closing: Promise<void> | undefined;
  return {
    providers: [...byProvider.keys()],
    async waitUntilReady() {
      await Promise.all([...workers.map((w) => w.waitUntilReady()), ...queues.map((q) => q.waitUntilReady())]);
    },
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((w) => w.close()));
        await Promise.all(queues.map((q) => q.close()));
      })();
      return closing;
    },
  };
}
