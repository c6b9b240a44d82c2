import { createSnapshot } from '../src/client-kit/index.js';
import type { JobSnapshot, JobSource, JobStatus, PollHints, SourceContext, SourceResult } from '../src/index.js';

/** The raw body our fake sources return. */
export interface FakeRaw {
  step: number;
}

/** One scripted answer of a fake source. The last one repeats forever. */
export type Step =
  | {
      status: JobStatus;
      rawStatus?: string | null;
      completed?: number;
      total?: number | null;
      failed?: number;
      hints?: PollHints;
      failure?: { message: string; code?: string };
    }
  | { error: unknown }
  | { hang: true };

export interface FakeSource extends JobSource<FakeRaw> {
  /** One entry per fetchSnapshot call. */
  calls: { at: number; id: string; signal: AbortSignal }[];
  cancels: number;
}

/** A job source that plays `steps` in order, recording each call with its clock time. */
export function fakeSource(
  steps: Step[],
  options: {
    provider?: string;
    kind?: string;
    cancel?: 'none' | Step;
    afterCancel?: Step[];
    validateId?: (id: string) => void;
  } = {},
): FakeSource {
  let i = 0;
  let script = steps;
  const answer = (step: Step, id: string, context: SourceContext, n: number): Promise<SourceResult<FakeRaw>> => {
    if ('hang' in step) {
      return new Promise((_, reject) => {
        context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
      });
    }
    if ('error' in step) return Promise.reject(step.error);
    const snapshot = createSnapshot({
      provider: source.provider,
      kind: source.kind,
      id,
      status: step.status,
      rawStatus: step.rawStatus === undefined ? step.status : step.rawStatus,
      progress: { completed: step.completed ?? 0, failed: step.failed ?? 0, total: step.total ?? null },
      ...(step.failure && { failure: step.failure }),
      observedAt: context.now(),
      raw: { step: n },
    });
    return Promise.resolve({ snapshot, hints: step.hints ?? {} });
  };
  const source: FakeSource = {
    provider: options.provider ?? 'fake',
    kind: options.kind ?? 'job',
    calls: [],
    cancels: 0,
    fetchSnapshot(id, context) {
      source.calls.push({ at: context.now(), id, signal: context.signal });
      const n = Math.min(i, script.length - 1);
      i++;
      return answer(script[n] as Step, id, context, n);
    },
  };
  if (options.validateId) source.validateId = options.validateId;
  const cancel = options.cancel;
  if (cancel !== 'none') {
    source.cancel = async (id, context) => {
      source.cancels++;
      if (options.afterCancel) {
        script = options.afterCancel;
        i = 0;
      }
      if (cancel === undefined) return undefined;
      return answer(cancel, id, context, -1);
    };
  }
  return source;
}

/** Lets pending promise callbacks run (no timers involved). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Records every settled value of a promise without causing an unhandled rejection. */
export function track<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => {
      state.value = value;
      state.settled = true;
    },
    (error: unknown) => {
      state.error = error;
      state.settled = true;
    },
  );
  return state;
}

/** A snapshot for tests that need one without a source. */
export function snap(status: JobStatus, extra: Partial<Pick<JobSnapshot<FakeRaw>, 'id'>> = {}): JobSnapshot<FakeRaw> {
  return createSnapshot({
    provider: 'fake',
    kind: 'job',
    id: extra.id ?? 'j1',
    status,
    rawStatus: status,
    progress: { completed: 0, total: null },
    observedAt: 0,
    raw: { step: 0 },
  });
}

/** A hand-driven clock for tests that cannot use global fake timers (property runs). */
export interface ManualClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Timers not yet fired or cleared. */
  pending(): number;
  /** Moves time forward by `ms`, firing due timers in order and letting promises settle in between. */
  advance(ms: number): Promise<void>;
}

export function manualClock(start = 0): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const next = () => {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of timers) if (!best || entry[1].at < best[1].at) best = entry;
    return best;
  };
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    pending: () => timers.size,
    async advance(ms) {
      const end = now + ms;
      await flush();
      for (let t = next(); t && t[1].at <= end; t = next()) {
        timers.delete(t[0]);
        now = t[1].at;
        t[1].fn();
        await flush();
      }
      now = end;
      await flush();
    },
  };
}

/** Runs `body` with every uncaught exception collected (instead of reported) and passed to it. */
export async function catchingUncaught(body: (uncaught: unknown[]) => Promise<void>): Promise<void> {
  const uncaught: unknown[] = [];
  const saved = process.rawListeners('uncaughtException') as ((error: unknown) => void)[];
  process.removeAllListeners('uncaughtException');
  const collect = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', collect);
  try {
    await body(uncaught);
    // Anything rethrown from a microtask has surfaced after these turns.
    await flush();
  } finally {
    process.off('uncaughtException', collect);
    for (const listener of saved) process.on('uncaughtException', listener);
  }
}
