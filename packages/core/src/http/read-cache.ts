// One provider request per job at a time, shared by every caller of the status handler; a fresh
// enough answer from memory.
import type { Clock } from '../clock.js';
import { fetchOnce } from '../internal/step.js';
import type { JobSource, SourceResult } from '../source.js';

// At most this many jobs are kept in memory; past it, the oldest entries go first.
const MAX_CACHED_JOBS = 1_000;
const TERMINAL_CACHE_MS = 60_000;

/** One job's last read (kept until `until`) or the read in flight that concurrent callers share. */
export interface Read {
  pending?: Promise<SourceResult<unknown>>;
  result?: SourceResult<unknown>;
  at: number;
  until: number;
}

/** `promise`, or `signal.reason` as soon as `signal` aborts (the promise itself goes on for others). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The reads of the jobs a handler serves, by job key. */
export interface ReadCache {
  /** Whether a read of the job now would be answered without a provider request (in flight or fresh). */
  answers(key: string): boolean;
  /** The job's read in flight, its fresh enough last answer, or a new read. */
  read(source: JobSource<unknown>, key: string, id: string): Read;
  /** Forgets the job (after a cancel, what it looked like before is not what it looks like now). */
  forget(key: string): void;
}

/** A read cache: answers are kept `cacheMs` (until the provider's `Retry-After` when it sent one; a minute once terminal). */
export function createReadCache(clock: Clock, requestTimeoutMs: number, cacheMs: number): ReadCache {
  const reads = new Map<string, Read>();
  const settle = (key: string, entry: Read, result: SourceResult<unknown>) => {
    entry.pending = undefined;
    entry.result = result;
    entry.at = clock.now();
    const { snapshot, hints } = (result ?? {}) as Partial<SourceResult<unknown>>;
    // Until the job's own next poll: when the provider said (Retry-After), else after cacheMs.
    const keep = snapshot?.isTerminal ? Math.max(cacheMs, TERMINAL_CACHE_MS) : (hints?.retryAfterMs ?? cacheMs);
    entry.until = cacheMs > 0 && snapshot ? entry.at + keep : entry.at;
    if (entry.until <= entry.at && reads.get(key) === entry) reads.delete(key);
  };
  const answering = (last: Read | undefined, now: number): last is Read =>
    last !== undefined && (last.pending !== undefined || now < last.until);
  return {
    answers: (key) => answering(reads.get(key), clock.now()),
    read(source, key, id) {
      const now = clock.now();
      const last = reads.get(key);
      if (answering(last, now)) return last;
      // Expired answers go at every new read; past MAX_CACHED_JOBS the oldest go too.
      for (const [k, entry] of reads) {
        if (!entry.pending && (entry.until <= now || reads.size >= MAX_CACHED_JOBS)) reads.delete(k);
      }
      const entry: Read = { at: now, until: now };
      entry.pending = fetchOnce(
        (context) => source.fetchSnapshot(id, context),
        new AbortController().signal,
        clock,
        requestTimeoutMs,
      );
      reads.set(key, entry);
      entry.pending.then(
        (result) => settle(key, entry, result),
        () => {
          if (reads.get(key) === entry) reads.delete(key);
        },
      );
      return entry;
    },
    forget(key) {
      reads.delete(key);
    },
  };
}
