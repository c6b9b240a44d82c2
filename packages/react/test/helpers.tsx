import { notifyManager, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act } from '@testing-library/react';
import type { ReactNode } from 'react';
import { vi } from 'vitest';

// TanStack batches notifications with setTimeout(0). Under fake timers a zero-delay timer created
// while time advances is due 1 ms later (fake-timers' loop guard), so a response that lands at the
// end of `advance(ms)` would not render until time moves again. Microtasks keep exact fake times.
notifyManager.setScheduler((callback) => queueMicrotask(callback));

/** A fresh client per test, TanStack's own retries off (the hooks turn them off anyway). */
export function newClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false } } });
}

/** A `renderHook` wrapper providing `client`. */
export function wrapper(client: QueryClient): (props: { children: ReactNode }) => ReactNode {
  return ({ children }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

/** Moves fake time forward inside act(), letting msw, fetch and React settle between timers. */
export async function advance(ms: number): Promise<void> {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

/** Lets pending requests and renders finish without moving time. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await advance(0);
}

/**
 * A deterministic schedule for tests of the hooks' mechanics: the exponential backoff strategy with
 * jitter 1, so every delay is its ceiling (1 s, 2 s, 4 s, ...).
 */
export const SCHEDULE = { strategy: 'backoff', random: () => 1 } as const;
