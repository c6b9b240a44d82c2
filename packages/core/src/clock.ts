/**
 * The time source of a watch: the current time and a cancellable timer. Inject one for tests
 * (or use `vi.useFakeTimers()` with the default, which looks the globals up on every call).
 */
export interface Clock {
  /** The current time in milliseconds. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds and returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer created by {@link Clock.setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and the global timers, read at call time so fake timers apply. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};
