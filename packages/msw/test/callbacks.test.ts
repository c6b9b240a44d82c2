import { verifyCheckWebhook } from '@batchwatch/check-client/webhooks';
import { createRunflowClient } from '@batchwatch/runflow-client';
import { verifyRunflowCallback } from '@batchwatch/runflow-client/webhooks';
import { activeResources, expectNoLeaks, type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSpec } from '../../../specs/test/spec-validator.js';
import {
  createMockProviders,
  type JobEnd,
  type MockProviderServer,
  type MockProviderServerOptions,
  script,
  startMockProviderServer,
} from '../src/server.js';

const RUNFLOW_SECRET = 'whsec_runflow_mock';
const CHECK_SECRET = 'whsec_check_mock';
const runflowSpec = loadSpec('runflow').webhook('batchCallback');
const checkSpec = loadSpec('check').webhook('checkWebhook');
const quick = (end: JobEnd = 'succeeded') => script.timed({ queuedMs: 20, runningMs: 60, end });

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
async function receiver(respond?: Parameters<typeof startRecordingServer>[0]): Promise<RecordingServer> {
  const server = await startRecordingServer(respond);
  open.push(server);
  return server;
}
async function mockServer(options: MockProviderServerOptions): Promise<MockProviderServer> {
  const server = await startMockProviderServer(options);
  open.unshift(server); // closed before the receivers
  return server;
}
async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('pushEvent', () => {
  it('should render spec-valid Runflow callbacks and Check webhooks for every end', () => {
    const mock = createMockProviders({ seed: 3 });
    for (const end of ['succeeded', 'partially_succeeded', 'failed', 'cancelled'] as const) {
      const rf = mock.addJob(
        'runflow',
        'batch',
        { phases: [], end, total: 3 },
        { callbackUrl: 'http://127.0.0.1:1/cb' },
      );
      const ck = mock.addJob('check', 'batch', { phases: [], end, total: 3 });
      const callback = mock.pushEvent(rf) as Record<string, unknown>;
      expect(runflowSpec(callback), JSON.stringify(runflowSpec.errors)).toBe(true);
      expect(callback).toMatchObject({
        event: {
          succeeded: 'batch.succeeded',
          partially_succeeded: 'batch.partial_succeeded',
          failed: 'batch.failed',
          cancelled: 'batch.cancelled',
        }[end],
        batch_id: rf,
        status: {
          succeeded: 'succeeded',
          partially_succeeded: 'partial_succeeded',
          failed: 'failed',
          cancelled: 'cancelled',
        }[end],
      });
      expect(callback.completed_at).toMatch(/\+00:00$/);
      const webhook = mock.pushEvent(ck) as Record<string, unknown> | undefined;
      if (end === 'cancelled') {
        expect(webhook).toBeUndefined();
      } else {
        expect(checkSpec(webhook), JSON.stringify(checkSpec.errors)).toBe(true);
        expect(webhook).toMatchObject({
          type: end === 'failed' ? 'batch.failed' : 'batch.completed',
          data: { id: ck },
        });
      }
    }
    expect(mock.pushEvent('nope')).toBeUndefined();
    const running = mock.addJob('runflow', 'batch', quick(), { callbackUrl: 'http://127.0.0.1:1/x' });
    expect(mock.pushEvent(running)).toBeUndefined(); // not ended yet
    expect(mock.job(running)).toMatchObject({ callbackUrl: 'http://127.0.0.1:1/x', finishedAt: undefined });
    expect(mock.job(running)?.endsAt).toBe((mock.job(running)?.createdAt ?? 0) + 80);
    expect(mock.pushEvent(mock.addJob('runflow', 'run', { phases: [] }))).toBeUndefined();
  });
});

describe('startMockProviderServer callbacks', () => {
  it('should POST one signed Runflow callback when a batch with a callback_url ends, without any poll', async () => {
    const rx = await receiver();
    const server = await mockServer({ callbacks: { runflow: { secret: RUNFLOW_SECRET } } });
    const id = server.mock.addJob('runflow', 'batch', quick(), { callbackUrl: `${rx.url}/runflow` });
    await until(() => rx.requests.length === 1);
    await server.callbacks.settled();
    const [got] = rx.requests;
    expect(got).toMatchObject({ method: 'POST', url: '/runflow' });
    const event = await verifyRunflowCallback(got!.body, got!.headers, RUNFLOW_SECRET);
    expect(event).toMatchObject({ event: 'batch.succeeded', batch_id: id, status: 'succeeded' });
    expect(got!.headers['runflow-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.mock.requests).toEqual([]);
    expect(server.callbacks.deliveries).toMatchObject([
      { jobId: id, automatic: true, attempts: 1, status: 200, delivered: true },
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect(rx.requests).toHaveLength(1); // once
  });

  it('should use the callback_url of a batch created through the API, and end read-driven scripts on the read', async () => {
    const rx = await receiver();
    const server = await mockServer({ callbacks: { runflow: { secret: RUNFLOW_SECRET } } });
    server.mock.nextScript('runflow', script.lifecycle({ queuedPolls: 1, progress: [], end: 'failed' }));
    const client = createRunflowClient({ apiKey: 'k', baseUrl: server.urls.runflow });
    const created = await client.POST('/v1/models/{owner}/{slug}/batches', {
      params: { path: { owner: 'acme', slug: 'bg' } },
      body: { input: [{ prompt: 'a' }, { prompt: 'b' }], callback_url: `${rx.url}/cb` },
    });
    const id = created.data?.id ?? '';
    expect(server.mock.job(id)?.callbackUrl).toBe(`${rx.url}/cb`);
    await client.GET('/v1/batches/{id}', { params: { path: { id } } }); // queued
    await new Promise((r) => setTimeout(r, 30));
    expect(rx.requests).toHaveLength(0);
    await client.GET('/v1/batches/{id}', { params: { path: { id } } }); // failed
    await until(() => rx.requests.length === 1);
    const event = await verifyRunflowCallback(rx.requests[0]!.body, rx.requests[0]!.headers, RUNFLOW_SECRET);
    expect(event).toMatchObject({ event: 'batch.failed', status: 'failed', output: { code: 'ALL_ITEMS_FAILED' } });
  });

  it('should send Runflow callbacks without a signature when no secret is configured', async () => {
    const rx = await receiver();
    const server = await mockServer({ callbacks: { runflow: {} } });
    server.mock.addJob('runflow', 'batch', quick(), { callbackUrl: rx.url });
    await until(() => rx.requests.length === 1);
    expect(rx.requests[0]!.headers['runflow-signature']).toBeUndefined();
  });

  it('should POST signed Check webhooks for completed and failed batches, and nothing for a cancel', async () => {
    const rx = await receiver();
    const server = await mockServer({ callbacks: { check: { url: `${rx.url}/hooks`, secret: CHECK_SECRET } } });
    const ok = server.mock.addJob('check', 'batch', quick('partially_succeeded'));
    const bad = server.mock.addJob('check', 'batch', quick('failed'));
    const cancelled = server.mock.addJob('check', 'batch', quick('cancelled'));
    await until(() => rx.requests.length === 2);
    await server.callbacks.settled();
    const events = await Promise.all(rx.requests.map((r) => verifyCheckWebhook(r.body, r.headers, CHECK_SECRET)));
    const byId = Object.fromEntries(events.map((e) => [(e.data as { id: string }).id, e]));
    expect(byId[ok]).toMatchObject({ type: 'batch.completed', data: { status: 'completed', failureCount: 2 } });
    expect(byId[bad]).toMatchObject({ type: 'batch.failed', data: { status: 'failed' } });
    expect(byId[cancelled]).toBeUndefined();
    expect(server.mock.job(cancelled)?.state).toBe('cancelled');
  });

  it('should retry a failed delivery twice with backoff, then give up', async () => {
    let answers = [500, 503];
    const rx = await receiver(() => ({ status: answers.shift() ?? 200 }));
    const server = await mockServer({ callbacks: { runflow: { secret: RUNFLOW_SECRET }, retryDelayMs: 30 } });
    server.mock.addJob('runflow', 'batch', quick(), { callbackUrl: rx.url });
    await until(() => rx.requests.length === 3);
    await server.callbacks.settled();
    const [first] = server.callbacks.deliveries;
    expect(first).toMatchObject({ attempts: 3, status: 200, delivered: true });
    const [a, b, c] = first!.sentAt as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(28); // 30 ms, then 60 ms (timers may fire a ms early)
    expect(c - b).toBeGreaterThanOrEqual(58);
    answers = [500, 500, 500, 500];
    server.mock.addJob('runflow', 'batch', quick(), { callbackUrl: rx.url });
    await until(() => rx.requests.length === 6);
    await server.callbacks.settled();
    expect(server.callbacks.deliveries[1]).toMatchObject({ attempts: 3, status: 500, delivered: false });
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.requests).toHaveLength(6);
  });

  it('should refuse a callback_url that is not on a loopback address, and a Check url likewise', async () => {
    const server = await mockServer({ callbacks: { runflow: { secret: RUNFLOW_SECRET } } });
    server.mock.addJob('runflow', 'batch', quick(), { callbackUrl: 'http://example.com/hook' });
    await until(() => server.callbacks.deliveries.length === 1);
    expect(server.callbacks.deliveries[0]).toMatchObject({ attempts: 0, delivered: false });
    expect(server.callbacks.deliveries[0]!.error).toMatch(/^refused: /);
    await expect(
      startMockProviderServer({ callbacks: { check: { url: 'https://hooks.example.com/x', secret: 's' } } }),
    ).rejects.toThrow(RangeError);
  });

  it('should build, sign and send duplicates, replays and forgeries on demand', async () => {
    const rx = await receiver();
    const server = await mockServer({ callbacks: { check: { url: rx.url, secret: CHECK_SECRET } } });
    const id = server.mock.addJob('check', 'batch', { phases: [] });
    await until(() => rx.requests.length === 1);
    const first = server.callbacks.deliveries[0]!;
    const duplicate = await server.callbacks.send(first);
    expect(duplicate).toMatchObject({ automatic: false, attempts: 1, delivered: true, body: first.body });
    expect(rx.requests[1]!.headers['x-check-signature']).toBe(first.headers['X-Check-Signature']);
    const old = await server.callbacks.build(id, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    await expect(verifyCheckWebhook(old.body, old.headers, CHECK_SECRET)).rejects.toMatchObject({
      reason: 'timestamp_out_of_tolerance',
    });
    const forged = await server.callbacks.build(id, { secret: 'whsec_attacker' });
    await expect(verifyCheckWebhook(forged.body, forged.headers, CHECK_SECRET)).rejects.toMatchObject({
      reason: 'signature_mismatch',
    });
    const other = await server.callbacks.sign('check', {
      id: 'evt_x',
      type: 'batch.completed',
      createdAt: 'x',
      data: { id: 'batch_nobody' },
    });
    expect((await verifyCheckWebhook(other.body, other.headers, CHECK_SECRET)).data).toEqual({ id: 'batch_nobody' });
    await expect(server.callbacks.build('unknown')).rejects.toThrow(TypeError);
    await expect(server.callbacks.sign('runflow', {})).rejects.toThrow('needs a url');
  });

  it('should abort pending retries and leave no timer or socket behind on close', async () => {
    const baseline = activeResources();
    const rx = await startRecordingServer(() => ({ hang: true }));
    const server = await startMockProviderServer({
      callbacks: { runflow: { secret: RUNFLOW_SECRET }, timeoutMs: 10_000, retryDelayMs: 10_000 },
    });
    server.mock.addJob('runflow', 'batch', quick(), { callbackUrl: rx.url });
    server.mock.addJob('runflow', 'batch', script.timed({ queuedMs: 60_000 }), { callbackUrl: rx.url });
    await until(() => rx.requests.length === 1);
    await server.close();
    expect(server.callbacks.deliveries[0]).toMatchObject({ attempts: 1, delivered: false });
    await rx.close();
    await expectNoLeaks(baseline);
  });
});
