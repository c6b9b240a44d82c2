import {
  CancelNotSupportedError,
  type JobHandle,
  type JobSnapshot,
  type JobSource,
  type PollOptions,
  RateLimitError,
} from '@batchwatch/core';
import { pollOnce } from '@batchwatch/core/handles';
import { DelayedError, type Job, type Queue, UnrecoverableError, type Worker } from 'bullmq';
import { CANCEL_JOB, cancelTarget, WATCH_JOB } from './common.js';
import { parseFleetJobId } from './keys.js';
import { ProviderPause } from './pause.js';
import { promoteIfDelayed } from './queue-tools.js';
import {
  type FleetJobData,
  isStoredSnapshot,
  packHandle,
  type StoredSnapshot,
  snapshotKey,
  storeSnapshot,
  unpackHandle,
} from './snapshot.js';
import { printable } from './sources.js';

/** @internal What the steps of one provider's jobs work with. */
export interface StepContext {
  provider: string;
  kinds: ReadonlyMap<string, JobSource<unknown>>;
  queue: Queue;
  /** The worker's `includeRaw`; a job's own option wins. */
  includeRaw: boolean;
  /** The worker's poll options; a job's own options win. */
  pollDefaults: PollOptions;
}

type JobRef = { provider: string; kind: string; id: string };
type PollResult = Awaited<ReturnType<typeof pollOnce<unknown>>>;
type CancellableSource = JobSource<unknown> & Required<Pick<JobSource<unknown>, 'cancel'>>;

/** A watch job, read and checked: which provider job, its source, its state and its own options. */
interface WatchJob {
  ref: JobRef;
  source: JobSource<unknown>;
  data: FleetJobData;
  pollOptions: PollOptions;
  includeRaw: boolean | undefined;
}

/**
 * @internal What a fleet worker does with one BullMQ job of a provider. A watch job runs one
 * `pollOnce` step: a terminal snapshot completes it, a fatal poll error fails it, anything else
 * stores the next handle (and a changed snapshot as progress) and moves it to delayed until its
 * next poll. A cancel job sends the provider's cancel request. Both wait out a 429 pause first.
 */
export class ProviderSteps {
  readonly #pause: ProviderPause;

  constructor(readonly ctx: StepContext) {
    this.#pause = new ProviderPause(ctx.queue);
  }

  /** The BullMQ processor: runs one step of `job`. */
  async run(job: Job, token: string | undefined, worker: Worker): Promise<StoredSnapshot | null> {
    if (job.name === CANCEL_JOB) return this.#cancel(job, token, worker);
    if (job.name !== WATCH_JOB) {
      throw fatal(new Error(`unknown job name ${JSON.stringify(job.name)} in a batchwatch queue`));
    }
    return this.#watch(job, token, worker);
  }

  async #watch(job: Job, token: string | undefined, worker: Worker): Promise<StoredSnapshot | null> {
    const watch = this.#readWatchJob(job);
    await this.#delayWhilePaused(job, token, worker);
    const result = await this.#poll(watch);
    if (result.error instanceof RateLimitError) {
      await this.#pause.pause(result.error.retryAfterMs ?? result.delayMs ?? 1000);
    }
    const keepRaw = watch.includeRaw ?? this.ctx.includeRaw;
    if (result.done) return finalSnapshot(result, keepRaw);
    if (result.snapshot) await reportProgress(job, result.snapshot, keepRaw);
    const next: FleetJobData = { handle: packHandle(result.handle) };
    if (watch.data.options) next.options = watch.data.options;
    return delay(job, token, worker, result.handle.nextPollAt, next);
  }

  // A job that BullMQ handed out while a 429 paused the provider goes back to delayed until the pause ends.
  async #delayWhilePaused(job: Job, token: string | undefined, worker: Worker): Promise<void> {
    const paused = await this.#pause.pausedFor(job);
    if (paused > 0) await delay(job, token, worker, Date.now() + paused);
  }

  // Which provider job this is and what it holds; fails the job (fatal) when it is not a watch of ours.
  #readWatchJob(job: Job): WatchJob {
    const { provider, kinds } = this.ctx;
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
    const { includeRaw, ...pollOptions } = (data.options ?? {}) as { includeRaw?: boolean };
    return { ref, source, data, pollOptions, includeRaw };
  }

  // One `pollOnce`; a handle or an option `pollOnce` rejects fails the job (fatal).
  async #poll({ ref, source, data, pollOptions }: WatchJob): Promise<PollResult> {
    try {
      const handle = unpackHandle(ref, data.handle) as JobHandle;
      return await pollOnce(source, handle, { ...this.ctx.pollDefaults, ...pollOptions, resolveOnUnsuccessful: true });
    } catch (error) {
      // InvalidHandleError (a handle edited by hand) or a poll option that is not valid.
      throw fatal(error);
    }
  }

  async #cancel(job: Job, token: string | undefined, worker: Worker): Promise<StoredSnapshot | null> {
    const { target, id, source } = this.#readCancelJob(job);
    await this.#delayWhilePaused(job, token, worker);
    const answer = await this.#sendCancel(source, id);
    // Poll the job soon, so watchers see the cancellation without waiting for its backoff.
    await promoteIfDelayed(this.ctx.queue, target);
    return answer?.snapshot ? storeSnapshot(answer.snapshot, this.ctx.includeRaw) : null;
  }

  // Which watch job a cancel job is about, and its source; fails the job (fatal) when it cannot be cancelled.
  #readCancelJob(job: Job): { target: string; id: string; source: CancellableSource } {
    const target = cancelTarget(job.id ?? '');
    const ref = target ? parseFleetJobId(target) : undefined;
    const source = ref ? this.ctx.kinds.get(ref.kind) : undefined;
    if (!target || !ref || !source)
      throw fatal(
        new Error(`cancel job ${JSON.stringify(printable(job.id ?? '', 80))} names no job this worker can poll`),
      );
    if (typeof source.cancel !== 'function') {
      throw fatal(new CancelNotSupportedError(`${this.ctx.provider} ${ref.kind} jobs cannot be cancelled`));
    }
    return { target, id: ref.id, source: source as CancellableSource };
  }

  // The provider's cancel request: a 429 pauses the provider and retries the job (attempts) afterwards.
  async #sendCancel(source: CancellableSource, id: string): ReturnType<CancellableSource['cancel']> {
    const timeoutMs = (this.ctx.pollDefaults.requestTimeoutMs as number | undefined) ?? 30_000;
    try {
      return await source.cancel(id, { signal: AbortSignal.timeout(timeoutMs), now: Date.now });
    } catch (error) {
      if (error instanceof RateLimitError) {
        await this.#pause.pause(error.retryAfterMs ?? 1000);
        throw new Error(errorText(error)); // retried (attempts) once the pause is over
      }
      throw fatal(error);
    }
  }
}

// The end of a watch: the terminal snapshot completes the job; anything else fails it.
function finalSnapshot(result: PollResult, keepRaw: boolean): StoredSnapshot {
  if (result.snapshot?.isTerminal && result.error === undefined) return storeSnapshot(result.snapshot, keepRaw);
  throw fatal(result.error ?? new Error('polling ended without a terminal snapshot'));
}

// A changed snapshot becomes the job's progress (which watchers hear of); an unchanged one is not written.
async function reportProgress(job: Job, snapshot: JobSnapshot<unknown>, keepRaw: boolean): Promise<void> {
  const previous = isStoredSnapshot(job.progress) ? snapshotKey(job.progress) : undefined;
  if (snapshotKey(snapshot) !== previous) await job.updateProgress(storeSnapshot(snapshot, keepRaw, false));
}

// Moves the job to delayed until `at` (storing its next data), without spending an attempt.
async function delay(
  job: Job,
  token: string | undefined,
  worker: Worker,
  at: number,
  data?: FleetJobData,
): Promise<never> {
  const now = Date.now();
  await worker.getBackend().moveToDelayed(job.id as string, now, Math.max(0, at - now), token, {
    skipAttempt: true,
    ...(data ? { fieldsToUpdate: { data: JSON.stringify(data) } } : {}),
  });
  throw new DelayedError();
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
