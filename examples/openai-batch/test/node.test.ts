// The generated OpenAI client and batch kind in Node, against the generated mock: as msw handlers at
// https://api.openai.com/v1 (intercepted: nothing leaves the process); test/server.test.ts uses the loopback server.
import { type Clock, type JobSnapshot, type PollEvent, waitForJob, watchJob } from '@batchwatch/core';
import { createMockProviders, mockProviderHandlers, script } from '@batchwatch/msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openaiBatch } from '../src/openai/batch.kind.js';
import { createOpenaiClient, OPENAI_BASE_URL, type OpenaiBatch } from '../src/openai/client.gen.js';
import { openaiMock } from '../src/openai/openai.mock.js';
import { createAndWatch } from '../src/watch.js';

const mock = createMockProviders({ providers: [openaiMock], seed: 19 });
const msw = setupServer(...mockProviderHandlers(mock, openaiMock));
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mock.reset());
afterAll(() => msw.close());

const client = createOpenaiClient({ apiKey: 'sk-test' });
const fast = { minIntervalMs: 1, initialIntervalMs: 1, maxIntervalMs: 5, timeoutMs: 10_000 };
const steps = (seen: JobSnapshot<OpenaiBatch>[]) =>
  seen.map((s) => `${s.rawStatus} ${s.status} ${s.progress.completed}/${s.progress.total}`);

describe('openai batches through the generated client, in Node', () => {
  it('should create a batch and wait for it: validating -> in_progress -> finalizing -> completed', async () => {
    expect(OPENAI_BASE_URL).toBe('https://api.openai.com/v1');
    mock.nextScript('openai', {
      phases: [
        { state: 'queued' },
        { state: 'running', progress: 0.4 },
        { state: 'running', raw: 'finalizing', progress: 1 },
      ],
      total: 20,
    });
    const seen: JobSnapshot<OpenaiBatch>[] = [];
    const final = await createAndWatch(client, { onSnapshot: (s) => seen.push(s), minIntervalMs: 1, maxIntervalMs: 5 });
    expect(steps(seen)).toEqual([
      'validating queued 0/20',
      'in_progress running 8/20',
      'finalizing running 20/20',
      'completed succeeded 20/20',
    ]);
    expect(final.raw).toMatchObject({
      object: 'batch',
      input_file_id: 'file-abc123',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      request_counts: { total: 20, completed: 20, failed: 0 },
      output_file_id: expect.stringMatching(/^file-out/),
    });
    expect(final.raw.completed_at).toBeTypeOf('number');
    // Unix seconds in the body, ISO 8601 in the snapshot (and the ETA counts the batch's age from it).
    const iso = (seconds: number | null | undefined) => new Date((seconds ?? Number.NaN) * 1000).toISOString();
    expect(final.timestamps).toEqual({
      createdAt: iso(final.raw.created_at),
      startedAt: iso(final.raw.in_progress_at),
      finishedAt: iso(final.raw.completed_at),
    });
    expect(mock.requests.map((r) => `${r.operationId} ${r.status}`)).toEqual([
      'POST /batches 200',
      ...Array(4).fill('GET /batches/{batch_id} 200'),
    ]);
  });

  it('should read completed with failed requests as partially_succeeded', async () => {
    const id = mock.addJob('openai', 'batch', { phases: [], end: 'partially_succeeded', total: 10, failureRate: 0.3 });
    const final = await waitForJob(openaiBatch(client), id, { ...fast, resolveOnUnsuccessful: true });
    expect(final).toMatchObject({ status: 'partially_succeeded', rawStatus: 'completed' });
    expect(final.failure).toEqual({ code: 'request_failures', message: '3 of 10 requests failed (see error_file_id)' });
    expect(final.raw.error_file_id).toMatch(/^file-err/);
  });

  it('should read expired as failed with the failure code expired, and failed with its errors', async () => {
    const expired = mock.addJob('openai', 'batch', {
      phases: [{ state: 'running', progress: 0.6 }],
      end: 'failed',
      endRaw: 'expired',
      total: 10,
    });
    const source = openaiBatch(client);
    const a = await waitForJob(source, expired, { ...fast, resolveOnUnsuccessful: true });
    expect(a).toMatchObject({ status: 'failed', rawStatus: 'expired', failure: { code: 'expired' } });
    // It ended in `expired_at`, in Unix seconds; `completed_at` stays unset.
    expect(a.raw.completed_at).toBeUndefined();
    expect(a.timestamps.finishedAt).toBe(new Date((a.raw.expired_at ?? Number.NaN) * 1000).toISOString());
    await expect(waitForJob(source, expired, fast)).rejects.toMatchObject({ name: 'JobFailedError' });

    const failed = mock.addJob('openai', 'batch', { phases: [], end: 'failed' });
    const b = await waitForJob(source, failed, { ...fast, resolveOnUnsuccessful: true });
    expect(b).toMatchObject({
      status: 'failed',
      rawStatus: 'failed',
      failure: { code: 'invalid_json_line', message: 'Line 1 of the input file is not valid JSON.' },
    });
  });

  it('should cancel a running batch through POST /batches/{batch_id}/cancel', async () => {
    const id = mock.addJob(
      'openai',
      'batch',
      script.lifecycle({ queuedPolls: 0, progress: [0.2, 0.3, 0.4, 0.5, 0.6] }),
    );
    let seenRunning = () => {};
    const running = new Promise<void>((resolve) => {
      seenRunning = resolve;
    });
    const watch = watchJob(openaiBatch(client), id, {
      ...fast,
      resolveOnUnsuccessful: true,
      onSnapshot: (s) => s.status === 'running' && seenRunning(),
    });
    await running;
    await watch.cancel();
    const final = await watch.done;
    expect(final).toMatchObject({ status: 'cancelled', rawStatus: 'cancelled' });
    expect(mock.requests.some((r) => r.operationId === 'POST /batches/{batch_id}/cancel' && r.status === 200)).toBe(
      true,
    );
  });

  it("should wait what a 429's Retry-After says, then go on", async () => {
    const id = mock.addJob('openai', 'batch', {
      ...script.lifecycle({ queuedPolls: 1, progress: [1] }),
      faults: [{ kind: 'rate-limit', at: 1, retryAfter: 30 }],
    });
    // A clock whose sleeps end at once, recording how long each would have been.
    let now = 0;
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => {
        now += ms;
        return setTimeout(fn, 0);
      },
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    const polls: PollEvent[] = [];
    const final = await waitForJob(openaiBatch(client), id, {
      ...fast,
      timeoutMs: 600_000,
      clock,
      onPoll: (e) => polls.push(e),
    });
    expect(final.status).toBe('succeeded');
    const limited = polls.find((p) => p.httpStatus === 429);
    expect(limited).toMatchObject({ delaySource: 'server', delayMs: 30_000 });
  });
});
