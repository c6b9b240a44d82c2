import type { JobSource, SourceContext } from '@batchwatch/core';

/** A source context on the (possibly fake) global clock. */
export const context = (): SourceContext => ({ signal: new AbortController().signal, now: () => Date.now() });

/** One poll as `[status, fraction]`, or `[status, fraction, rawStatus]` with `raw`. */
export type Step = [status: string, fraction: number | null];

/** Polls `id` until its snapshot is terminal (at most `max` polls) and returns each step. */
export async function trace<T>(source: JobSource<T>, id: string, max = 20): Promise<Step[]> {
  const steps: Step[] = [];
  for (let i = 0; i < max; i++) {
    const { snapshot } = await source.fetchSnapshot(id, context());
    steps.push([snapshot.status, snapshot.progress.fraction]);
    if (snapshot.isTerminal) break;
  }
  return steps;
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
