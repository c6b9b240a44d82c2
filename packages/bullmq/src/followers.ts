import { AbortError, type JobHandle, type JobSnapshot } from '@batchwatch/core';
import type { FleetAddOptions, FleetJobInfo } from './fleet.js';
import { fleetJobId } from './keys.js';
import type { FleetEventSink } from './queues.js';
import { isStoredSnapshot, loadSnapshot, snapshotKey } from './snapshot.js';
import { FleetJobError, FleetView, type FleetViewOptions, type FollowerLink } from './watch.js';

/** @internal Which provider job. */
export interface JobRef {
  provider: string;
  kind: string;
  id: string;
}

/** @internal What followers ask of their fleet. */
export interface FollowerHost {
  /** How often a followed job's state is read again, in ms. */
  readonly recheckMs: number;
  onError(error: unknown): void;
  /** Starts hearing the provider's job events (resolves once the events stream is read). */
  listen(provider: string): Promise<unknown>;
  /** What Redis holds about the job. */
  read(ref: JobRef): Promise<FleetJobInfo | undefined>;
  /** Adds the job (a no-op when it is there). */
  add(ref: JobRef, options?: FleetAddOptions): Promise<string>;
  /** `fleet.cancel`. */
  cancel(ref: JobRef): Promise<void>;
  /** Polls the job soon (when it waits for its next poll). */
  promote(provider: string, jobId: string): void;
}

/**
 * @internal The jobs this fleet follows, by BullMQ job id: one {@link Follower} per job, however
 * many watchers it has, fed by the provider's events stream.
 */
export class Followers implements FleetEventSink {
  readonly #byJobId = new Map<string, Follower>();

  constructor(readonly host: FollowerHost) {}

  /**
   * A new watcher of the job: joins the job's follower, or starts one (which hears the job's events,
   * adds the job and reads its state).
   */
  watch(ref: JobRef, handle: JobHandle, viewOptions: FleetViewOptions, addOptions: FleetAddOptions): FleetView {
    const jobId = fleetJobId(ref.provider, ref.kind, ref.id);
    let follower = this.#byJobId.get(jobId);
    const isNew = !follower;
    if (!follower) {
      follower = new Follower(this, jobId, ref.provider, ref.kind, ref.id, handle);
      this.#byJobId.set(jobId, follower);
    }
    const view = new FleetView(follower, viewOptions);
    if (follower.current) view.seed(follower.current);
    follower.views.add(view);
    if (isNew) void follower.start(addOptions);
    return view;
  }

  progress(jobId: string, data: unknown): void {
    this.#byJobId.get(jobId)?.progress(data);
  }

  completed(jobId: string, returnvalue: unknown): void {
    this.#byJobId.get(jobId)?.completed(returnvalue);
  }

  failed(jobId: string, failedReason: string): void {
    this.#byJobId.get(jobId)?.failed(failedReason);
  }

  /** Ends every watcher with `AbortError` (the fleet is closing). */
  abortAll(): void {
    for (const follower of [...this.#byJobId.values()]) follower.abortAll();
  }

  /** Forgets a follower that ended or lost its last watcher. */
  forget(follower: Follower): void {
    if (this.#byJobId.get(follower.jobId) === follower) this.#byJobId.delete(follower.jobId);
  }
}

/**
 * @internal Follows one job for the watchers of this process: delivers each changed snapshot once,
 * ends them with the job, and reads the job's state again every `recheckMs` in case an event was
 * missed (a reconnect, a trimmed events stream).
 */
export class Follower implements FollowerLink {
  readonly views = new Set<FleetView>();
  /** The last snapshot delivered, for watchers that join later. */
  current: JobSnapshot<unknown> | undefined;
  readonly #host: FollowerHost;
  #handle: JobHandle | undefined;
  #last: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ended = false;

  constructor(
    readonly followers: Followers,
    readonly jobId: string,
    readonly provider: string,
    readonly kind: string,
    readonly id: string,
    handle: JobHandle,
  ) {
    this.#host = followers.host;
    this.#handle = handle;
  }

  /** Hears the job's events, adds the job and reads its state; a failure ends every watcher. */
  async start(addOptions: FleetAddOptions): Promise<void> {
    try {
      await this.#host.listen(this.provider);
      await this.#host.add(this, addOptions);
      await this.recheck();
    } catch (error) {
      for (const view of [...this.views]) view.fail(error);
    }
  }

  handle(): JobHandle {
    return this.#handle as JobHandle;
  }

  cancel(): Promise<void> {
    return this.#host.cancel(this);
  }

  promote(): void {
    this.#host.promote(this.provider, this.jobId);
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
    this.#complete(loadSnapshot(this.provider, this.kind, this.id, value));
  }

  failed(reason: string): void {
    if (this.#ended) return;
    this.#fail(new FleetJobError(reason));
  }

  /** Reads the job's state now (and again in `recheckMs` while it is followed). */
  async recheck(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#ended) return;
    try {
      const info = await this.#host.read(this);
      if (this.#ended) return;
      if (info?.handle) this.#handle = info.handle;
      this.#apply(info);
      // Removed (kept time over, or by hand) while watched: add it again, so the watch goes on.
      if (!info) await this.#host.add(this);
    } catch (error) {
      this.#host.onError(error);
    }
    if (!this.#ended) {
      this.#timer = setTimeout(() => void this.recheck(), this.#host.recheckMs);
    }
  }

  abortAll(): void {
    this.#fail(new AbortError('the fleet was closed'));
  }

  // What a read of the job's state tells the watchers: how it ended, or a changed snapshot.
  #apply(info: FleetJobInfo | undefined): void {
    if (info?.state === 'completed' && info.snapshot) this.#complete(info.snapshot);
    else if (info?.state === 'failed' && info.error) this.#fail(info.error);
    else if (info?.snapshot && !info.snapshot.isTerminal) this.#deliver(info.snapshot);
  }

  #deliver(snapshot: JobSnapshot<unknown>): void {
    const key = snapshotKey(snapshot);
    if (key === this.#last) return;
    this.#last = key;
    this.current = snapshot;
    for (const view of [...this.views]) view.deliver(snapshot);
  }

  #complete(snapshot: JobSnapshot<unknown>): void {
    this.#end((view) => view.complete(snapshot));
  }

  #fail(error: unknown): void {
    this.#end((view) => view.fail(error));
  }

  #end(apply: (view: FleetView) => void): void {
    this.#ended = true;
    for (const view of [...this.views]) apply(view);
    this.#close();
  }

  #close(): void {
    this.#ended = true;
    clearTimeout(this.#timer);
    this.followers.forget(this);
  }
}

/** @internal A watcher that failed before it followed anything (bad input, a closed fleet). */
export function failedView(ref: JobRef, viewOptions: FleetViewOptions, error: unknown): FleetView {
  const { provider, kind, id } = ref;
  const link: FollowerLink = {
    provider,
    kind,
    id,
    handle: () => ({ v: 1, provider, kind, id, nextPollAt: 0, attempt: 0, startedAt: 0, deadline: null }),
    cancel: async () => {},
    promote: () => {},
    detach: () => {},
  };
  const view = new FleetView(link, viewOptions);
  view.fail(error);
  return view;
}
