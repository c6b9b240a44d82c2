// One job's scripted lifecycle: where the script is at a status read, computed without side effects
// (`peek`), committed when a read sees it (`observe`), and ended exactly once (`finalize`).
import type { ItemState, JobView, MockJob } from './providers/shared.js';
import { type JobEnd, type JobScript, type Phase, phaseProgress, type ScriptCursor } from './script.js';

// Items in flight at once while running (Supermetrics' default query_concurrency).
const CONCURRENCY = 5;

/** Items failing once the job ends: spread evenly, so item `i` fails iff the count steps up at `i`. */
function failuresFor(end: JobEnd, total: number, rate = 0.2): number {
  if (end === 'failed') return total;
  if (end !== 'partially_succeeded') return 0;
  return Math.min(total - 1, Math.max(1, Math.round(total * rate)));
}

/** Where the script is at lifecycle step `step` and scripted time `ms`, from `cursor` on: a new cursor, never a changed one. */
export function positionAt(
  phases: readonly Phase[],
  from: ScriptCursor,
  step: number,
  ms: number,
): { phase: Phase | undefined; fraction: number; cursor: ScriptCursor } {
  const cursor = { ...from };
  for (;;) {
    const phase = phases[cursor.index];
    if (!phase) return { phase: undefined, fraction: 1, cursor };
    if (phase.ms !== undefined && phase.polls === undefined) {
      const spent = ms - cursor.startMs;
      if (spent < phase.ms) return { phase, fraction: phase.ms > 0 ? spent / phase.ms : 1, cursor };
      cursor.startMs += phase.ms;
      cursor.startStep = step;
    } else {
      const polls = Math.max(1, phase.polls ?? 1);
      const spent = step - cursor.startStep;
      if (spent < polls) return { phase, fraction: polls > 1 ? spent / (polls - 1) : 1, cursor };
      cursor.startStep += polls;
      cursor.startMs = ms;
    }
    cursor.index++;
  }
}

/** What a new job record is made of. */
export interface JobRecordInit {
  id: string;
  provider: string;
  kind: string;
  script: JobScript;
  createdAt: number;
  finalTotal: number;
  seed: number;
  meta: Record<string, unknown>;
  /** The literal status of `unknown` phases and faults (the script's, else the provider's). */
  unknownStatus: string;
}

/** A job held by the engine, with its place in the script. Items are never stored: they derive from (seed, id, index). */
export class JobRecord implements MockJob {
  readonly id: string;
  readonly provider: string;
  readonly kind: string;
  readonly script: JobScript;
  readonly createdAt: number;
  readonly finalTotal: number;
  readonly failures: number;
  readonly seed: number;
  readonly meta: Record<string, unknown>;
  readonly unknownStatus: string;
  /** Status reads so far, per status endpoint. */
  readonly reads = new Map<string, number>();
  /** Read indexes answered with a fault: they do not move the lifecycle. */
  readonly faulted = new Set<number>();
  /** Results reads so far (pages of items, rows or queries); they never move the lifecycle. */
  resultReads = 0;
  /** Whether the job was cancelled through the API. */
  cancelledByApi = false;
  #cursor: ScriptCursor = { index: 0, startStep: 0, startMs: 0 };
  #lastDone = 0;
  #startedAt: number | undefined;
  #final: JobView | undefined;

  constructor(init: JobRecordInit) {
    const end = init.script.end ?? 'succeeded';
    this.id = init.id;
    this.provider = init.provider;
    this.kind = init.kind;
    this.script = init.script;
    this.createdAt = init.createdAt;
    this.finalTotal = init.finalTotal;
    this.failures = failuresFor(end, init.finalTotal, init.script.failureRate);
    this.seed = init.seed;
    this.meta = init.meta;
    this.unknownStatus = init.unknownStatus;
  }

  /** The view the job ended with (its scripted end, or a cancel); `undefined` before. */
  get final(): JobView | undefined {
    return this.#final;
  }

  /** Of the first `done` items, how many failed. */
  failedAmong(done: number): number {
    return this.finalTotal === 0 ? 0 : Math.floor((Math.min(done, this.finalTotal) * this.failures) / this.finalTotal);
  }

  /** The lifecycle step a read that does not count sees: the last status read, faulted ones left out. */
  currentStep(): number {
    const read = Math.max(0, ...this.reads.values());
    return Math.max(0, read - 1 - this.faultedBefore(read));
  }

  /** Faulted status reads before read `read`. */
  faultedBefore(read: number): number {
    let n = 0;
    for (const r of this.faulted) if (r < read) n++;
    return n;
  }

  /**
   * The job at lifecycle step `step`, clock time `now` and scripted time `ms`, computed without
   * changing anything: the same arguments give the same view until something is committed.
   */
  peek(step: number, now: number, ms: number): { view: JobView; cursor: ScriptCursor; ended: boolean } {
    if (this.#final) return { view: this.#final, cursor: this.#cursor, ended: true };
    const { phase, fraction, cursor } = positionAt(this.script.phases, this.#cursor, step, ms);
    const base = { createdAt: this.createdAt, cancelledAt: undefined, finishedAt: undefined };
    if (!phase) {
      const end = this.script.end ?? 'succeeded';
      const done = end === 'cancelled' ? Math.min(this.#lastDone, this.finalTotal) : this.finalTotal;
      const view: JobView = {
        ...base,
        state: end,
        raw: this.script.endRaw,
        total: this.finalTotal,
        done,
        failed: this.failedAmong(done),
        running: 0,
        startedAt: this.#startedAt ?? now,
        finishedAt: now,
        cancelledAt: end === 'cancelled' ? now : undefined,
      };
      return { view, cursor, ended: true };
    }
    const growth = this.script.totalGrowth;
    const total = growth?.length ? (growth[Math.min(step, growth.length - 1)] ?? this.finalTotal) : this.finalTotal;
    const done = Math.min(total, Math.floor(phaseProgress(phase, fraction) * total));
    const view: JobView = {
      ...base,
      state: phase.state,
      raw: phase.raw ?? (phase.state === 'unknown' ? this.unknownStatus : undefined),
      total,
      done,
      failed: this.failedAmong(done),
      running: phase.state === 'running' ? Math.min(CONCURRENCY, total - done) : 0,
      startedAt: this.#startedAt ?? (phase.state === 'queued' ? undefined : now),
    };
    return { view, cursor, ended: false };
  }

  /**
   * Commits what a read saw at `step`: the script's place, when the job started, its progress. A
   * job seen at its scripted end is finalized. `ended` says whether this call ended it.
   */
  observe(step: number, now: number, ms: number): { view: JobView; ended: boolean } {
    if (this.#final) return { view: this.#final, ended: false };
    const { view, cursor, ended } = this.peek(step, now, ms);
    this.#cursor = cursor;
    this.#startedAt = view.startedAt;
    if (ended) return { view, ended: this.finalize(view) };
    this.#lastDone = view.done;
    return { view, ended: false };
  }

  /** Ends the job with `view`, once: `false` (and nothing changes) when it had already ended. */
  finalize(view: JobView): boolean {
    if (this.#final) return false;
    this.#final = view;
    return true;
  }

  /** The state of item `index` in `view`. */
  itemState(view: JobView, index: number): ItemState {
    if (index < view.done) return this.failedAmong(index + 1) > this.failedAmong(index) ? 'failed' : 'succeeded';
    if (view.state === 'cancelled') return 'cancelled';
    return index < view.done + view.running ? 'running' : 'queued';
  }

  /** When a script driven by the clock alone ends (clock ms); `undefined` when status reads drive any phase. */
  scriptedEnd(speed: number): number | undefined {
    let ms = 0;
    for (const phase of this.script.phases) {
      if (phase.ms === undefined || phase.polls !== undefined) return undefined;
      ms += phase.ms;
    }
    return this.createdAt + ms / speed;
  }

  /** `view` with `total` items: a finished job stays finished, a running one keeps what it had done. */
  resized(view: JobView, total: number): JobView {
    const done = view.done >= view.total ? total : Math.min(view.done, total);
    return { ...view, total, done, failed: this.failedAmong(done), running: Math.min(view.running, total - done) };
  }
}
