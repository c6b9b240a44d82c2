import {
  CancelNotSupportedError,
  type JobHandle,
  type JobSource,
  type PollOptions,
  RateLimitError,
  ValidationError,
} from '@batchwatch/core';
import { pollOnce } from '@batchwatch/core/handles';
import { DelayedError, type Job, type JobJson, Queue, UnrecoverableError, Worker } from 'bullmq';
import { CANCEL_JOB, cancelTarget, queueOptions, type SharedOptions, WATCH_JOB } from './common.js';
import { connectionOptions, fleetQueueName, parseFleetJobId } from './keys.js';
import { type Limiter, limiterFor, positive } from './limits.js';
import {
  type FleetJobData,
  isStoredSnapshot,
  packHandle,
  type StoredSnapshot,
  snapshotKey,
  storeSnapshot,
  unpackHandle,
} from './snapshot.js';
import { indexSources, printable, requestsPerPoll } from './sources.js';

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

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${printable(error.message)}` : printable(String(error));

// An error that fails the BullMQ job at once (no retries), named after what ended the watch.
function fatal(error: unknown): UnrecoverableError {
  const out = new UnrecoverableError(errorText(error));
  // BullMQ stores the stack; ours would only repeat the message with paths in it.
  out.stack = out.message;
  return out;
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
    const queue = new Queue(fleetQueueName(provider), shared.queue);
    queue.on('error', onError);
    queues.push(queue);
    const step = makeStep({ provider, kinds, queue, limiter, includeRaw, pollDefaults, onError });
    const worker: Worker = new FleetBullWorker(fleetQueueName(provider), (job, token) => step(job, token, worker), {
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

interface StepContext {
  provider: string;
  kinds: ReadonlyMap<string, JobSource<unknown>>;
  queue: Queue;
  limiter: Limiter;
  includeRaw: boolean;
  pollDefaults: PollOptions;
  onError: (error: unknown) => void;
}

// How long a job may have waited in this worker after BullMQ admitted it before we check again that
// no other worker's 429 paused the provider in the meantime.
const STALE_ADMISSION_MS = 100;

function makeStep(ctx: StepContext) {
  const { provider, kinds, queue, includeRaw, pollDefaults } = ctx;
  // A 429 this process saw: no request until then, whatever BullMQ already handed out.
  let pausedUntil = 0;

  const pause = async (ms: number) => {
    pausedUntil = Math.max(pausedUntil, Date.now() + ms);
    await queue.rateLimit(Math.ceil(ms));
  };

  // How long the provider is still paused by a 429 that any worker saw, in ms (0 when it is not).
  const pausedFor = async (job: Job): Promise<number> => {
    const local = pausedUntil - Date.now();
    if (local > 0) return local;
    if (Date.now() - (job.processedOn ?? 0) < STALE_ADMISSION_MS) return 0;
    const backend = queue.getBackend() as unknown as { client?: Promise<RedisLike> };
    if (!backend.client) return 0;
    const client = await backend.client;
    const key = queue.toKey('limiter');
    const [value, ttl] = await Promise.all([client.get(key), client.pttl(key)]);
    // A manual rate limit sets the counter to MAX_SAFE_INTEGER; the limiter's own windows never get near.
    return Number(value) >= Number.MAX_SAFE_INTEGER && ttl > 0 ? ttl : 0;
  };

  const delay = async (job: Job, token: string | undefined, worker: Worker, at: number, data?: FleetJobData) => {
    const now = Date.now();
    await worker.getBackend().moveToDelayed(job.id as string, now, Math.max(0, at - now), token, {
      skipAttempt: true,
      ...(data ? { fieldsToUpdate: { data: JSON.stringify(data) } } : {}),
    });
    throw new DelayedError();
  };

  return async (job: Job, token: string | undefined, worker: Worker): Promise<StoredSnapshot | null> => {
    if (job.name === CANCEL_JOB) return cancelStep(job, token, worker);
    if (job.name !== WATCH_JOB)
      throw fatal(new Error(`unknown job name ${JSON.stringify(job.name)} in a batchwatch queue`));
    const ref = parseFleetJobId(job.id ?? '');
    if (!ref || ref.provider !== provider) {
      throw fatal(
        new Error(`job id ${JSON.stringify(printable(job.id ?? '', 80))} is not a batchwatch ${provider} job id`),
      );
    }
    const source = kinds.get(ref.kind);
    if (!source) {
      throw fatal(
        new Error(
          `no ${printable(ref.kind, 40)} source for ${provider} on this worker: add it to createFleetWorker({ sources })`,
        ),
      );
    }
    const data = job.data as FleetJobData | null;
    if (data === null || typeof data !== 'object' || data.handle === undefined) {
      throw fatal(
        new Error('job data is not { handle, options }; was it edited by hand? Remove the job and add it again'),
      );
    }
    const paused = await pausedFor(job);
    if (paused > 0) return delay(job, token, worker, Date.now() + paused);

    const { includeRaw: jobRaw, ...jobOptions } = (data.options ?? {}) as { includeRaw?: boolean };
    let result: Awaited<ReturnType<typeof pollOnce<unknown>>>;
    try {
      const handle = unpackHandle(ref, data.handle) as JobHandle;
      result = await pollOnce(source, handle, { ...pollDefaults, ...jobOptions, resolveOnUnsuccessful: true });
    } catch (error) {
      // InvalidHandleError (a handle edited by hand) or a poll option that is not valid.
      throw fatal(error);
    }
    if (result.error instanceof RateLimitError) {
      await pause(result.error.retryAfterMs ?? result.delayMs ?? 1000);
    }
    const keep = jobRaw ?? includeRaw;
    if (result.done) {
      if (result.snapshot?.isTerminal && result.error === undefined) return storeSnapshot(result.snapshot, keep);
      throw fatal(result.error ?? new Error('polling ended without a terminal snapshot'));
    }
    if (result.snapshot) {
      const previous = isStoredSnapshot(job.progress) ? snapshotKey(job.progress) : undefined;
      if (snapshotKey(result.snapshot) !== previous)
        await job.updateProgress(storeSnapshot(result.snapshot, keep, false));
    }
    const next: FleetJobData = { handle: packHandle(result.handle) };
    if (data.options) next.options = data.options;
    return delay(job, token, worker, result.handle.nextPollAt, next);
  };

  async function cancelStep(job: Job, token: string | undefined, worker: Worker): Promise<StoredSnapshot | null> {
    const target = cancelTarget(job.id ?? '');
    const ref = target ? parseFleetJobId(target) : undefined;
    const source = ref ? kinds.get(ref.kind) : undefined;
    if (!target || !ref || !source)
      throw fatal(
        new Error(`cancel job ${JSON.stringify(printable(job.id ?? '', 80))} names no job this worker can poll`),
      );
    if (typeof source.cancel !== 'function') {
      throw fatal(new CancelNotSupportedError(`${provider} ${ref.kind} jobs cannot be cancelled`));
    }
    const paused = await pausedFor(job);
    if (paused > 0) return delay(job, token, worker, Date.now() + paused);
    const timeoutMs = (pollDefaults.requestTimeoutMs as number | undefined) ?? 30_000;
    let answer: Awaited<ReturnType<NonNullable<JobSource['cancel']>>>;
    try {
      answer = await source.cancel(ref.id, { signal: AbortSignal.timeout(timeoutMs), now: Date.now });
    } catch (error) {
      if (error instanceof RateLimitError) {
        await pause(error.retryAfterMs ?? 1000);
        throw new Error(errorText(error)); // retried (attempts) once the pause is over
      }
      throw fatal(error);
    }
    // Poll the job soon, so watchers see the cancellation without waiting for its backoff.
    const watched = await queue.getJob(target).catch(() => undefined);
    if (watched && (await watched.isDelayed())) await watched.promote().catch(() => {});
    return answer?.snapshot ? storeSnapshot(answer.snapshot, includeRaw) : null;
  }
}

interface RedisLike {
  get(key: string): Promise<string | null>;
  pttl(key: string): Promise<number>;
}
