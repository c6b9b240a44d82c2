import {
  AbortError,
  type JobHandle,
  type JobSnapshot,
  type JobSource,
  type JobWatch,
  type PollOptions,
  ValidationError,
} from '@batchwatch/core';
import { createJobHandle } from '@batchwatch/core/handles';
import { queueOptions, type SharedOptions } from './common.js';
import { Followers, failedView } from './followers.js';
import { readJobInfo } from './job-info.js';
import { cancelJob, watchJob } from './jobs.js';
import { connectionOptions } from './keys.js';
import { positive } from './limits.js';
import { promoteIfDelayed } from './queue-tools.js';
import { FleetQueues } from './queues.js';
import { findSource, indexSources } from './sources.js';
import { FleetJobError, type FleetViewOptions } from './watch.js';

/** Options of {@link createFleet}. */
export interface FleetOptions extends SharedOptions {
  /**
   * The job sources of the providers and kinds this fleet adds: they check ids before anything is
   * sent (no request is made from here; workers poll). `[runflowBatch(client), checkBatch(client)]`.
   */
  sources: readonly JobSource<unknown, unknown>[];
  /**
   * How long finished jobs (completed and failed) stay in Redis, in seconds: while they do, `get` and
   * late watchers read their final snapshot and `add` of the same job is a no-op; after that, `add`
   * polls the job again. Defaults to `86_400` (one day).
   */
  keepFinishedSeconds?: number;
  /**
   * Each watched job's state is read again this often, in case an event was missed (a reconnect,
   * a trimmed events stream). Defaults to `30_000` ms.
   */
  recheckMs?: number;
  /** Called with connection errors, for logging. Defaults to none. */
  onError?: (error: unknown) => void;
}

/** Options of `fleet.add`: poll options for this job, stored with it. */
export interface FleetAddOptions extends PollOptions {
  /** Give up this many ms from now (the job fails with `PollTimeoutError`). Defaults to never. */
  timeoutMs?: number;
  /** Keep the provider's raw body in this job's snapshots in Redis. Defaults to the worker's `includeRaw`. */
  includeRaw?: boolean;
}

/** Options of `fleet.watch`: how the job is added (when it is not there yet) and how this watcher settles. */
export interface FleetWatchOptions extends FleetAddOptions, FleetViewOptions {}

/** What Redis holds about a fleet job. */
export interface FleetJobInfo {
  /** The BullMQ state: `waiting`/`delayed`/`active` while watched, `completed` or `failed` at the end. */
  state: string;
  /** The latest snapshot (the final one once `completed`), or `undefined` before the first poll answered. */
  snapshot: JobSnapshot<unknown> | undefined;
  /** The poll state the next step starts from. */
  handle: JobHandle | undefined;
  /** Why the job failed, when `state` is `failed`. */
  error?: FleetJobError;
}

/** Adds, follows and cancels jobs polled by fleet workers. See {@link createFleet}. */
export interface Fleet {
  /** The sources given to `createFleet`, in order. */
  readonly sources: readonly JobSource<unknown>[];
  /**
   * Adds a job for the workers to poll, once: the BullMQ job id comes from provider, kind and id, so
   * adding a job that is already there (from any process) is a no-op, also while it is kept after
   * finishing (`keepFinishedSeconds`). Resolves with the BullMQ job id. Rejects with
   * `ValidationError` for an unknown provider or kind, an id the source rejects, or bad options;
   * nothing is added then.
   */
  add(provider: string, kind: string, id: string, options?: FleetAddOptions): Promise<string>;
  /**
   * Asks the provider to cancel the job, through the provider's queue (so within its budget): a
   * worker sends the cancel request, then polls the job soon. Adds the job when it is not watched.
   * Resolves once the provider accepted the request; rejects with `CancelNotSupportedError` (as a
   * {@link FleetJobError}) when the source has none, or with the request's error.
   */
  cancel(provider: string, kind: string, id: string): Promise<void>;
  /** What Redis holds about the job now, or `undefined` when the fleet has no such job. */
  get(provider: string, kind: string, id: string): Promise<FleetJobInfo | undefined>;
  /**
   * Adds the job (a no-op when it is there) and follows it from this process, whichever worker
   * polls it: the same `JobWatch` shape as core's `watchJob` (`done`, `subscribe`, `for await`),
   * fed by BullMQ events. Each changed snapshot is delivered once; the terminal one ends the watch.
   * `stop()` stops this watcher only: the job is still polled (use `cancel` to end it).
   */
  watch(provider: string, kind: string, id: string, options?: FleetWatchOptions): JobWatch<unknown>;
  /** Resolves once the connections are ready. */
  waitUntilReady(): Promise<void>;
  /** Stops every watcher of this fleet (`AbortError`) and closes its connections; jobs stay in Redis. */
  close(): Promise<void>;
}

/**
 * Creates a fleet client: add jobs for fleet workers (`createFleetWorker`) to poll, and follow them
 * from any process. It sends no provider request itself. Throws `ValidationError` for bad options.
 *
 * @example
 * const fleet = createFleet({ connection: 'redis://127.0.0.1:6379', sources: [runflowBatch(client)] });
 * const final = await fleet.watch('runflow', 'batch', batchId).done;
 */
export function createFleet(options: FleetOptions): Fleet {
  const { sources, byProvider, shared, keepFinishedSeconds, recheckMs, onError } = readFleetOptions(options);
  let closed = false;
  const checkOpen = () => {
    if (closed) throw new AbortError('the fleet is closed');
  };
  const sourceOf = (provider: string, kind: string) => findSource(byProvider, provider, kind);
  const followers: Followers = new Followers({
    recheckMs,
    onError,
    listen: (provider) => queues.events(provider),
    read: (ref) => readJobInfo(queues.queue(ref.provider), ref.provider, ref.kind, ref.id),
    add: (ref, addOptions) => add(ref.provider, ref.kind, ref.id, addOptions),
    cancel: (ref) => fleet.cancel(ref.provider, ref.kind, ref.id),
    promote: (provider, jobId) => void promoteIfDelayed(queues.queue(provider), jobId).catch(() => {}),
  });
  const queues: FleetQueues = new FleetQueues(shared, onError, followers);

  const add = async (provider: string, kind: string, id: string, addOptions: FleetAddOptions = {}) => {
    checkOpen();
    const job = watchJob(sourceOf(provider, kind), id, addOptions, keepFinishedSeconds);
    await queues.queue(provider).add(job.name, job.data as never, job.opts);
    return job.opts.jobId;
  };

  const fleet: Fleet = {
    sources: [...sources],
    add,
    async cancel(provider, kind, id) {
      checkOpen();
      sourceOf(provider, kind).validateId?.(id);
      const jobId = await add(provider, kind, id);
      const events = await queues.events(provider);
      const job = cancelJob(jobId);
      const added = await queues.queue(provider).add(job.name, job.data as never, job.opts);
      try {
        await added.waitUntilFinished(events);
      } catch (error) {
        throw new FleetJobError(String((error as Error).message));
      }
    },
    get: async (provider, kind, id) => {
      sourceOf(provider, kind);
      return readJobInfo(queues.queue(provider), provider, kind, id);
    },
    watch(provider, kind, id, watchOptions = {}) {
      const [viewOptions, addOptions] = splitWatchOptions(watchOptions);
      let handle: JobHandle;
      try {
        checkOpen();
        handle = createJobHandle(sourceOf(provider, kind), id, { timeoutMs: addOptions.timeoutMs });
      } catch (error) {
        return failedView({ provider, kind, id }, viewOptions, error);
      }
      return followers.watch({ provider, kind, id }, handle, viewOptions, addOptions);
    },
    async waitUntilReady() {
      await queues.waitUntilReady(byProvider.keys());
    },
    async close() {
      closed = true;
      followers.abortAll();
      await queues.close();
    },
  };
  return fleet;
}

// Checks the options (throws `ValidationError`) and fills in the defaults.
function readFleetOptions(options: FleetOptions) {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError('options', 'an object with connection and sources');
  }
  const { sources, prefix, eventsMaxLength, keepFinishedSeconds = 86_400, recheckMs = 30_000 } = options;
  const onError = options.onError ?? (() => {});
  const redis = connectionOptions(options.connection);
  const byProvider = indexSources(sources);
  positive(keepFinishedSeconds, 'keepFinishedSeconds');
  positive(recheckMs, 'recheckMs');
  const shared = queueOptions({ connection: redis, prefix, eventsMaxLength });
  return { sources, byProvider, shared, keepFinishedSeconds, recheckMs, onError };
}

// The options of `fleet.watch` that shape this watcher, and those that add the job.
function splitWatchOptions(options: FleetWatchOptions): [FleetViewOptions, FleetAddOptions] {
  const { signal, onSnapshot, resolveOnUnsuccessful, failOnPartial, ...addOptions } = options;
  const viewOptions: FleetViewOptions = {};
  if (signal) viewOptions.signal = signal;
  if (onSnapshot) viewOptions.onSnapshot = onSnapshot;
  if (resolveOnUnsuccessful !== undefined) viewOptions.resolveOnUnsuccessful = resolveOnUnsuccessful;
  if (failOnPartial !== undefined) viewOptions.failOnPartial = failOnPartial;
  return [viewOptions, addOptions];
}
