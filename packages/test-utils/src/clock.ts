// A clock for tests over real sockets: short waits (retries, Retry-After) pass at once on virtual
// time, so the waits can be asserted without sleeping; long timers (request timeouts) stay real.

export interface InstantClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Every short wait asked for, in ms, in order. */
  waits: number[];
  /** Short waits scheduled and not yet fired or cleared. */
  pending(): number;
}

interface Handle {
  immediate?: ReturnType<typeof setImmediate>;
  real?: ReturnType<typeof setTimeout>;
}

/**
 * Timers of at most `instantMaxMs` (default 10 s, below the 30 s request timeout) fire on the next event-loop turn and move
 * `now()` forward by their delay; longer ones run on real time.
 */
export function instantClock(options: { instantMaxMs?: number; start?: number } = {}): InstantClock {
  const max = options.instantMaxMs ?? 10_000;
  let now = options.start ?? Date.now();
  const live = new Set<Handle>();
  const waits: number[] = [];
  return {
    now: () => now,
    waits,
    pending: () => live.size,
    setTimeout(fn, ms) {
      const handle: Handle = {};
      if (ms > max) {
        handle.real = setTimeout(fn, ms);
        return handle;
      }
      waits.push(ms);
      live.add(handle);
      handle.immediate = setImmediate(() => {
        live.delete(handle);
        now += Math.max(0, ms);
        fn();
      });
      return handle;
    },
    clearTimeout(value) {
      const handle = value as Handle;
      if (handle.real !== undefined) clearTimeout(handle.real);
      if (handle.immediate !== undefined) clearImmediate(handle.immediate);
      live.delete(handle);
    },
  };
}
