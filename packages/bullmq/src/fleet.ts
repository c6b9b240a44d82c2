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
import { createJobScheduler } from '@batchwatch/core/scheduler';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { CANCEL_JOB, cancelJobId, queueOptions, type SharedOptions, WATCH_JOB } from './common.js';
import { connectionOptions, fleetJobId, fleetQueueName } from './keys.js';
import { positive } from './limits.js';
import {
  type FleetJobData,
  type FleetJobOptions,
  isStoredSnapshot,
  loadSnapshot,
  packHandle,
  snapshotKey,
  unpackHandle,
} from './snapshot.js';
import { indexSources, printable } from './sources.js';
import { FleetJobError, FleetView, type FleetViewOptions, type FollowerLink } from './watch.js';

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

interface ProviderSide {
  queue: Queue;
  events?: Promise<QueueEvents>;
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
  const sides = new Map<string, ProviderSide>();
  const followers = new Map<string, Follower>();
  let closed = false;

  const sourceOf = (provider: string, kind: string): JobSource<unknown> => {
    const kinds = byProvider.get(provider);
    if (!kinds) {
      throw new ValidationError('provider', `one of ${[...byProvider.keys()].join(', ')}`, {
        received: JSON.stringify(printable(String(provider), 60)),
      });
    }
    const source = kinds.get(kind);
    if (!source) {
      throw new ValidationError('kind', `one of ${[...kinds.keys()].join(', ')} for ${provider}`, {
        received: JSON.stringify(printable(String(kind), 60)),
      });
    }
    return source;
  };

  const side = (provider: string): ProviderSide => {
    let s = sides.get(provider);
    if (!s) {
      const queue = new Queue(fleetQueueName(provider), shared.queue);
      queue.on('error', onError);
      s = { queue };
      sides.set(provider, s);
    }
    return s;
  };

  const keep = { age: Math.ceil(keepFinishedSeconds) };

  const add = async (provider: string, kind: string, id: string, addOptions: FleetAddOptions = {}) => {
    if (closed) throw new AbortError('the fleet is closed');
    const source = sourceOf(provider, kind);
    if (typeof id !== 'string' || id === '') throw new ValidationError('id', 'a non-empty string');
    const { timeoutMs, includeRaw, ...pollOptions } = addOptions;
    if (includeRaw !== undefined && typeof includeRaw !== 'boolean') {
      throw new ValidationError('includeRaw', 'a boolean', { received: String(includeRaw) });
    }
    // createJobHandle checks the id and timeoutMs; core's scheduler checks every other poll option.
    const handle = createJobHandle(source, id, { timeoutMs });
    const stored: FleetJobOptions = pollOptions;
    checkPollOptions(pollOptions);
    if (includeRaw !== undefined) stored.includeRaw = includeRaw;
    const jobId = fleetJobId(provider, kind, id);
    const data: FleetJobData = { handle: packHandle(handle) };
    if (Object.keys(stored).length > 0) data.options = stored;
    await side(provider).queue.add(WATCH_JOB, data as never, {
      jobId,
      // Steps never spend attempts; these retry a step that failed on a Redis error.
      attempts: 3,
      removeOnComplete: keep,
      removeOnFail: keep,
    });
    return jobId;
  };

  const read = async (provider: string, kind: string, id: string): Promise<FleetJobInfo | undefined> => {
    const { queue } = side(provider);
    let job: Job | undefined;
    try {
      job = await queue.getJob(fleetJobId(provider, kind, id));
    } catch (error) {
      // The job's data is not JSON: a worker fails it; until then say so.
      return {
        state: 'unknown',
        snapshot: undefined,
        handle: undefined,
        error: new FleetJobError(`InvalidHandleError: ${printable(String((error as Error).message), 120)}`),
      };
    }
    if (!job) return undefined;
    const state = await job.getState();
    const data = job.data as FleetJobData | null;
    const handle =
      data && typeof data === 'object' && data.handle
        ? (unpackHandle({ provider, kind, id }, data.handle) as JobHandle)
        : undefined;
    const stored: unknown = state === 'completed' ? job.returnvalue : job.progress;
    const info: FleetJobInfo = {
      state,
      snapshot: isStoredSnapshot(stored) ? loadSnapshot(provider, kind, id, stored) : undefined,
      handle,
    };
    if (state === 'failed') {
      // The job may have failed between reading it and reading its state: its reason is in Redis by now.
      const reason = job.failedReason || (await queue.getJob(job.id ?? '').catch(() => undefined))?.failedReason;
      info.error = new FleetJobError(reason || 'failed');
    }
    return info;
  };

  const events = (provider: string): Promise<QueueEvents> => {
    const s = side(provider);
    s.events ??= (async () => {
      // Start reading the events stream where it ends now, and only then read job states: nothing
      // that happens after the state read is missed (QueueEvents alone starts at `$`, whenever its
      // first read runs).
      const backend = s.queue.getBackend() as unknown as { client?: Promise<StreamClient> };
      let lastEventId = '$';
      if (backend.client) {
        const client = await backend.client;
        const last = await client.xrevrange(s.queue.toKey('events'), '+', '-', 'COUNT', 1);
        lastEventId = last[0]?.[0] ?? '0-0';
      }
      const qe = new QueueEvents(fleetQueueName(provider), { ...shared.base, lastEventId, autorun: true });
      qe.on('error', onError);
      qe.on('progress', ({ jobId, data }) => followers.get(jobId)?.progress(data));
      qe.on('completed', ({ jobId, returnvalue }) => followers.get(jobId)?.completed(returnvalue));
      qe.on('failed', ({ jobId, failedReason }) => followers.get(jobId)?.failed(failedReason));
      await qe.waitUntilReady();
      return qe;
    })();
    // A failed start (Redis down) is not kept: the next watch tries again.
    s.events.catch(() => {
      if (sides.get(provider) === s) s.events = undefined;
    });
    return s.events;
  };

  class Follower implements FollowerLink {
    readonly views = new Set<FleetView>();
    /** The last snapshot delivered, for watchers that join later. */
    current: JobSnapshot<unknown> | undefined;
    #handle: JobHandle | undefined;
    #last: string | undefined;
    #timer: ReturnType<typeof setTimeout> | undefined;
    #ended = false;

    constructor(
      readonly jobId: string,
      readonly provider: string,
      readonly kind: string,
      readonly id: string,
      handle: JobHandle,
    ) {
      this.#handle = handle;
    }

    handle(): JobHandle {
      return this.#handle as JobHandle;
    }

    cancel(): Promise<void> {
      return fleet.cancel(this.provider, this.kind, this.id);
    }

    promote(): void {
      void side(this.provider)
        .queue.getJob(this.jobId)
        .then(async (job) => {
          if (job && (await job.isDelayed())) await job.promote();
        })
        .catch(() => {});
    }

    detach(view: FleetView): void {
      this.views.delete(view);
      if (this.views.size === 0) this.#close();
    }

    progress(data: unknown): void {
      if (this.#ended || !isStoredSnapshot(data)) return;
      const snapshot = loadSnapshot(this.provider, this.kind, this.id, data);
      // The terminal snapshot comes with `completed` only.
      if (!snapshot.isTerminal) this.#deliver(snapshot);
    }

    completed(value: unknown): void {
      if (this.#ended) return;
      if (!isStoredSnapshot(value)) {
        // Not a watch's final snapshot (garbage, or an older format): read the state instead.
        void this.recheck();
        return;
      }
      const snapshot = loadSnapshot(this.provider, this.kind, this.id, value);
      this.#end((view) => view.complete(snapshot));
    }

    failed(reason: string): void {
      if (this.#ended) return;
      const error = new FleetJobError(reason);
      this.#end((view) => view.fail(error));
    }

    #deliver(snapshot: JobSnapshot<unknown>): void {
      const key = snapshotKey(snapshot);
      if (key === this.#last) return;
      this.#last = key;
      this.current = snapshot;
      for (const view of [...this.views]) view.deliver(snapshot);
    }

    #end(apply: (view: FleetView) => void): void {
      this.#ended = true;
      for (const view of [...this.views]) apply(view);
      this.#close();
    }

    #close(): void {
      this.#ended = true;
      clearTimeout(this.#timer);
      if (followers.get(this.jobId) === this) followers.delete(this.jobId);
    }

    async recheck(): Promise<void> {
      clearTimeout(this.#timer);
      if (this.#ended) return;
      try {
        const info = await read(this.provider, this.kind, this.id);
        if (this.#ended) return;
        if (info?.handle) this.#handle = info.handle;
        if (info?.state === 'completed' && info.snapshot) {
          const snapshot = info.snapshot;
          return this.#end((view) => view.complete(snapshot));
        }
        if (info?.state === 'failed' && info.error) {
          const error = info.error;
          return this.#end((view) => view.fail(error));
        }
        if (info?.snapshot && !info.snapshot.isTerminal) this.#deliver(info.snapshot);
        // Removed (kept time over, or by hand) while watched: add it again, so the watch goes on.
        if (!info) await add(this.provider, this.kind, this.id);
      } catch (error) {
        onError(error);
      }
      if (!this.#ended) {
        this.#timer = setTimeout(() => void this.recheck(), recheckMs);
      }
    }

    abortAll(): void {
      this.#end((view) => view.fail(new AbortError('the fleet was closed')));
    }
  }

  const fleet: Fleet = {
    sources: [...sources],
    add,
    async cancel(provider, kind, id) {
      if (closed) throw new AbortError('the fleet is closed');
      const source = sourceOf(provider, kind);
      source.validateId?.(id);
      const jobId = await add(provider, kind, id);
      const { queue } = side(provider);
      const qe = await events(provider);
      const cancelId = cancelJobId(jobId);
      const job = await queue.add(CANCEL_JOB, null as never, {
        jobId: cancelId,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        // Kept a minute, so a waiter that hears of it late still reads how it ended; a second
        // cancel within that minute is the same request.
        removeOnComplete: { age: 60 },
        removeOnFail: { age: 60 },
      });
      try {
        await job.waitUntilFinished(qe);
      } catch (error) {
        throw new FleetJobError(String((error as Error).message));
      }
    },
    get: async (provider, kind, id) => {
      sourceOf(provider, kind);
      return read(provider, kind, id);
    },
    watch(provider, kind, id, watchOptions = {}) {
      const { signal, onSnapshot, resolveOnUnsuccessful, failOnPartial, ...addOptions } = watchOptions;
      const viewOptions: FleetViewOptions = {};
      if (signal) viewOptions.signal = signal;
      if (onSnapshot) viewOptions.onSnapshot = onSnapshot;
      if (resolveOnUnsuccessful !== undefined) viewOptions.resolveOnUnsuccessful = resolveOnUnsuccessful;
      if (failOnPartial !== undefined) viewOptions.failOnPartial = failOnPartial;
      let source: JobSource<unknown>;
      let handle: JobHandle;
      try {
        if (closed) throw new AbortError('the fleet is closed');
        source = sourceOf(provider, kind);
        handle = createJobHandle(source, id, { timeoutMs: addOptions.timeoutMs });
      } catch (error) {
        const dead = new FleetView(deadLink(provider, kind, id), viewOptions);
        dead.fail(error);
        return dead;
      }
      const jobId = fleetJobId(provider, kind, id);
      let follower = followers.get(jobId);
      const isNew = !follower;
      if (!follower) {
        follower = new Follower(jobId, provider, kind, id, handle);
        followers.set(jobId, follower);
      }
      const view = new FleetView(follower, viewOptions);
      if (follower.current) view.seed(follower.current);
      follower.views.add(view);
      if (isNew) {
        const f = follower;
        void (async () => {
          try {
            await events(provider);
            await add(provider, kind, id, addOptions);
            await f.recheck();
          } catch (error) {
            for (const v of [...f.views]) v.fail(error);
          }
        })();
      }
      return view;
    },
    async waitUntilReady() {
      await Promise.all([...byProvider.keys()].map((p) => side(p).queue.waitUntilReady()));
    },
    async close() {
      closed = true;
      for (const follower of [...followers.values()]) follower.abortAll();
      await Promise.all(
        [...sides.values()].map(async (s) => {
          const qe = await s.events?.catch(() => undefined);
          await qe?.close();
          await s.queue.close();
        }),
      );
    },
  };
  return fleet;
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

function deadLink(provider: string, kind: string, id: string): FollowerLink {
  return {
    provider,
    kind,
    id,
    handle: () => ({ v: 1, provider, kind, id, nextPollAt: 0, attempt: 0, startedAt: 0, deadline: null }),
    cancel: async () => {},
    promote: () => {},
    detach: () => {},
  };
}

interface StreamClient {
  xrevrange(key: string, end: string, start: string, count: 'COUNT', n: number): Promise<[string, string[]][]>;
}
