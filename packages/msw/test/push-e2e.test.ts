// Push + poll end to end: the mock server pushes signed callbacks to a real node:http receiver
// (the README example), which verifies them and notifies a core scheduler polling the mock over HTTP.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import type { JobNotification, JobSource, JobStatus, PollEvent } from '@batchwatch/core';
import { createJobScheduler, type JobScheduler, type JobSchedulerOptions } from '@batchwatch/core/scheduler';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type MockCallbackOptions,
  type MockCallbackRequest,
  type MockProviderServer,
  script,
  startMockProviderServer,
} from '../src/server.js';
import { checkWebhookHandler, runflowCallbackHandler } from './examples/push-handler.js';

const NEW = 'whsec_new_0123456789abcdef';
const OLD = 'whsec_old_fedcba9876543210';
/** The normal schedule: a poll every 200 ms (never sooner than 50 ms after the last one). */
const POLL: JobSchedulerOptions = {
  strategy: 'backoff',
  minIntervalMs: 50,
  initialIntervalMs: 200,
  maxIntervalMs: 200,
  multiplier: 1,
  random: () => 1,
};
const PUSH: JobSchedulerOptions['push'] = { safetyIntervalMs: 10_000, quietAfterMs: 60_000 };

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
interface Receipt {
  at: number;
  status?: number;
  answer?: string;
  notified?: JobNotification;
  matched?: boolean;
}
interface Receiver {
  url: string;
  log: Receipt[];
  close(): Promise<void>;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

/** A real node:http receiver on 127.0.0.1 running `make(scheduler)`, logging each request and what it notified. */
async function startReceiver(scheduler: JobScheduler, make: (s: Pick<JobScheduler, 'notify'>) => Handler) {
  const current = new AsyncLocalStorage<Receipt>();
  const handler = make({
    notify(n) {
      const matched = scheduler.notify(n);
      const receipt = current.getStore();
      if (receipt) Object.assign(receipt, { notified: n, matched });
      return matched;
    },
  });
  const log: Receipt[] = [];
  const server: Server = createServer((req, res) => {
    const receipt: Receipt = { at: Date.now() };
    log.push(receipt);
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown) => {
      receipt.status = res.statusCode;
      if (typeof chunk === 'string') receipt.answer = chunk;
      return end(chunk as string);
    }) as typeof res.end;
    void current.run(receipt, () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  open.push(receiver.close);
  return receiver;
}

async function startMock(callbacks: MockCallbackOptions): Promise<MockProviderServer> {
  const server = await startMockProviderServer({ callbacks });
  open.unshift(() => server.close()); // before the receivers
  return server;
}

function createScheduler(options: JobSchedulerOptions): JobScheduler {
  const scheduler = createJobScheduler(options);
  open.unshift(() => scheduler.close());
  return scheduler;
}

const statusReads = (server: MockProviderServer, id: string, from = 0) =>
  server.mock.requests.filter((r) => r.operationId === 'getBatch' && r.path.endsWith(`/${id}`) && r.at >= from).length;

/** What one run of a scenario measured for its long job. */
interface Outcome {
  status: JobStatus;
  /** Status reads of the long job. */
  polls: number;
  /** From the start of watching to `done`, ms. */
  elapsedMs: number;
  /** From the receiver getting the long job's event to `done`, ms. */
  callbackToDoneMs?: number;
  /** Status reads of the long job sent once the receiver had its event. */
  pollsAfterCallback?: number;
  delaySources: string[];
}

/**
 * Two batches: a short one (its event proves push works) and a long one. With push, the mock
 * pushes their events to the receiver and the scheduler runs in push mode; without, it only polls.
 */
async function scenario(provider: 'runflow' | 'check', push: boolean): Promise<Outcome> {
  const scheduler = createScheduler({ ...POLL, ...(push && { push: PUSH }) });
  const receiver = await startReceiver(scheduler, (s) =>
    provider === 'runflow' ? runflowCallbackHandler(s, [NEW, OLD]) : checkWebhookHandler(s, [NEW, OLD]),
  );
  const callbacks: MockCallbackOptions =
    provider === 'runflow' ? { runflow: { secret: NEW } } : { check: { url: `${receiver.url}/check`, secret: NEW } };
  const server = await startMock(push ? callbacks : {});
  server.mock.nextScript(provider, script.timed({ queuedMs: 0, runningMs: 250 }));
  server.mock.nextScript(provider, script.timed({ queuedMs: 100, runningMs: 1900 }));
  let source: JobSource<unknown>;
  let create: () => Promise<string>;
  if (provider === 'runflow') {
    const client = createRunflowClient({ apiKey: 'k', baseUrl: server.urls.runflow });
    source = runflowBatch(client) as JobSource<unknown>;
    create = async () => {
      const { data } = await client.POST('/v1/models/{owner}/{slug}/batches', {
        params: { path: { owner: 'acme', slug: 'background-replace' } },
        body: { input: [{ prompt: 'a' }, { prompt: 'b' }], ...(push && { callback_url: `${receiver.url}/runflow` }) },
      });
      return data?.id ?? '';
    };
  } else {
    const client = createCheckClient({ apiKey: 'k', baseUrl: server.urls.check });
    source = checkBatch(client) as JobSource<unknown>;
    create = async () => (await client.POST('/v1/batch', { body: { items: [{ content: 'a' }] } })).data?.id ?? '';
  }
  const short = await create();
  const long = await create();
  const started = Date.now();
  const delaySources: string[] = [];
  const first = scheduler.watch(source, short);
  const final = await scheduler.watch(source, long, { onPoll: (e) => delaySources.push(e.delaySource ?? 'end') }).done;
  const doneAt = Date.now();
  await first.done;
  const outcome: Outcome = {
    status: final.status,
    polls: statusReads(server, long),
    elapsedMs: doneAt - started,
    delaySources,
  };
  if (push) {
    const receipt = receiver.log.find((r) => r.notified?.id === long);
    expect(receipt).toMatchObject({ status: 200, matched: true, notified: { provider, kind: 'batch', id: long } });
    outcome.callbackToDoneMs = doneAt - (receipt as Receipt).at;
    outcome.pollsAfterCallback = statusReads(server, long, (receipt as Receipt).at);
    await server.callbacks.settled();
    expect(server.callbacks.deliveries.map((d) => [d.jobId, d.delivered])).toEqual([
      [short, true],
      [long, true],
    ]);
  }
  return outcome;
}

describe.each(['runflow', 'check'] as const)('push + poll with %s', (provider) => {
  it('should end the watch within one round trip of the callback, with fewer polls than polling alone', async () => {
    const polled = await scenario(provider, false);
    const pushed = await scenario(provider, true);
    console.info(
      `[push-e2e] ${provider}: poll only ${polled.polls} polls, done after ${polled.elapsedMs} ms; push + poll ${pushed.polls} polls, done after ${pushed.elapsedMs} ms, ${pushed.callbackToDoneMs} ms after the callback arrived (${pushed.pollsAfterCallback} poll after it)`,
    );
    expect(polled.status).toBe('succeeded');
    expect(pushed.status).toBe('succeeded');
    // One poll after the callback, and done before the next scheduled poll would even have been sent.
    expect(pushed.pollsAfterCallback).toBe(1);
    expect(pushed.callbackToDoneMs).toBeLessThan(POLL.initialIntervalMs as number);
    // While push was alive (the short batch's event), the long batch was polled at the safety interval.
    expect(pushed.delaySources).toContain('push');
    expect(pushed.polls).toBeLessThan(polled.polls / 2);
  });
});

describe('push + poll rejects bad deliveries', () => {
  it('should reject every bad Runflow callback and accept both secrets during a rotation', async () => {
    const secrets = [NEW, OLD];
    const scheduler = createScheduler({ ...POLL, push: PUSH });
    const receiver = await startReceiver(scheduler, (s) => runflowCallbackHandler(s, secrets));
    const server = await startMock({ runflow: { secret: NEW } });
    const done = server.mock.addJob('runflow', 'batch', { phases: [] }, { callbackUrl: `${receiver.url}/runflow` });
    await until(() => server.callbacks.deliveries[0]?.status !== undefined);
    const good = server.callbacks.deliveries[0] as MockCallbackRequest;
    // Nobody watches this batch: verified, acknowledged, ignored.
    expect(receiver.log[0]).toMatchObject({ status: 200, matched: false });

    const send = async (request: MockCallbackRequest) => {
      const delivery = await server.callbacks.send(request);
      return [delivery.status, receiver.log.at(-1)?.answer ?? ''];
    };
    const { 'Runflow-Signature': signature, ...unsigned } = good.headers;
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(await send({ ...good, headers: { ...good.headers, 'Runflow-Signature': '0'.repeat(64) } })).toEqual([
      400,
      'signature_mismatch',
    ]);
    expect(await send({ ...good, body: good.body.replace('"succeeded"', '"failed"') })).toEqual([
      400,
      'signature_mismatch',
    ]);
    expect(await send({ ...good, headers: unsigned })).toEqual([400, 'missing_signature']);
    expect(await send({ ...good, headers: { ...unsigned, 'Runflow-Signature': 'sha256=abc' } })).toEqual([
      400,
      'malformed_signature',
    ]);
    expect(await send(await server.callbacks.build(done, { secret: 'whsec_attacker' }))).toEqual([
      400,
      'signature_mismatch',
    ]);
    // Rotation: both secrets verify while both are configured, then only the new one.
    expect(await send(await server.callbacks.build(done, { secret: OLD }))).toEqual([200, '']);
    expect(await send(await server.callbacks.build(done, { secret: NEW }))).toEqual([200, '']);
    secrets.splice(1);
    expect(await send(await server.callbacks.build(done, { secret: OLD }))).toEqual([400, 'signature_mismatch']);
    expect(await send(await server.callbacks.build(done, { secret: NEW }))).toEqual([200, '']);
    // A correctly signed event about a job nobody watches is ignored, not an error.
    const stranger = await server.callbacks.sign(
      'runflow',
      { event: 'batch.succeeded', batch_id: randomUUID(), status: 'succeeded' },
      { url: `${receiver.url}/runflow` },
    );
    expect(await send(stranger)).toEqual([200, '']);
    expect(receiver.log.at(-1)).toMatchObject({ matched: false });
    expect(server.mock.requests).toEqual([]); // nothing above sent a single poll
  });

  it('should poll once for a burst of duplicates, confirm by that poll, and ignore duplicates after the end', async () => {
    const scheduler = createScheduler({ ...POLL, push: PUSH });
    const receiver = await startReceiver(scheduler, (s) => runflowCallbackHandler(s, [NEW]));
    const server = await startMock({ runflow: { secret: NEW } });
    const url = `${receiver.url}/runflow`;
    const source = runflowBatch(createRunflowClient({ apiKey: 'k', baseUrl: server.urls.runflow }));
    const warm = server.mock.addJob('runflow', 'batch', script.timed({ queuedMs: 0, runningMs: 100 }), {
      callbackUrl: url,
    });
    const slow = server.mock.addJob('runflow', 'batch', script.timed({ queuedMs: 0, runningMs: 60_000 }));
    const quick = server.mock.addJob('runflow', 'batch', script.timed({ queuedMs: 0, runningMs: 800 }), {
      callbackUrl: url,
    });
    const terminal: JobStatus[] = [];
    const slowPolls: PollEvent[] = [];
    const slowWatch = scheduler.watch(source, slow, { onPoll: (e) => slowPolls.push(e) });
    const quickWatch = scheduler.watch(source, quick, {
      onStatusChange: (_from, to) => {
        if (to === 'succeeded') terminal.push(to);
      },
    });
    await scheduler.watch(source, warm).done;
    await new Promise((r) => setTimeout(r, 200)); // both now wait out the 10 s safety interval
    // Three copies of a (validly signed) terminal event for the slow batch, at once: the mock says running.
    const forged = await server.callbacks.sign(
      'runflow',
      { event: 'batch.succeeded', batch_id: slow, status: 'succeeded' },
      { url },
    );
    expect(slowPolls.at(-1)?.delaySource).toBe('push');
    const before = slowPolls.length;
    await Promise.all([1, 2, 3].map(() => server.callbacks.send(forged)));
    await until(() => slowPolls.length > before);
    await new Promise((r) => setTimeout(r, 30));
    const after = slowPolls.slice(before);
    expect(after.filter((e) => e.notified)).toHaveLength(1);
    expect(after[0]).toMatchObject({ notified: true, status: 'running' });
    expect(slowWatch.getSnapshot()?.status).toBe('running'); // the poll, not the event, decides
    // An unconfirmed terminal event keeps the job on its normal schedule, not the safety interval.
    expect(after[0]?.delaySource).toBe('backoff');
    // The quick batch ends through its own callback; its duplicates after the end change nothing.
    await quickWatch.done;
    // Counted, not timed: the poll that saw the end can land in the same millisecond as `done`.
    const readsAtEnd = statusReads(server, quick);
    await server.callbacks.settled();
    const original = server.callbacks.deliveries.find((d) => d.jobId === quick) as MockCallbackRequest;
    const duplicates = await Promise.all([1, 2].map(() => server.callbacks.send(original)));
    expect(duplicates.map((d) => d.status)).toEqual([200, 200]);
    expect(receiver.log.slice(-2).map((r) => r.matched)).toEqual([false, false]);
    expect(terminal).toEqual(['succeeded']);
    expect(statusReads(server, quick)).toBe(readsAtEnd);
    slowWatch.stop();
  });

  it('should reject a replayed Check delivery, an old timestamp and a wrong secret', async () => {
    const scheduler = createScheduler({ ...POLL, push: PUSH });
    const receiver = await startReceiver(scheduler, (s) => checkWebhookHandler(s, [NEW, OLD], 1));
    const server = await startMock({ check: { url: `${receiver.url}/check`, secret: NEW } });
    const id = server.mock.addJob('check', 'batch', { phases: [] });
    await until(() => server.callbacks.deliveries[0]?.status !== undefined);
    expect(receiver.log[0]).toMatchObject({ status: 200, matched: false, notified: { provider: 'check', id } });
    const original = server.callbacks.deliveries[0] as MockCallbackRequest;
    const send = async (request: MockCallbackRequest) => {
      const delivery = await server.callbacks.send(request);
      return [delivery.status, receiver.log.at(-1)?.answer ?? ''];
    };
    const stale = Math.floor(Date.now() / 1000) - 3600;
    expect(await send(await server.callbacks.build(id, { timestamp: stale }))).toEqual([
      400,
      'timestamp_out_of_tolerance',
    ]);
    expect(await send(await server.callbacks.build(id, { secret: 'whsec_attacker' }))).toEqual([
      400,
      'signature_mismatch',
    ]);
    expect(await send(await server.callbacks.build(id, { secret: OLD }))).toEqual([200, '']);
    const header = original.headers['X-Check-Signature'] as string;
    expect(
      await send({ ...original, headers: { ...original.headers, 'X-Check-Signature': header.replace(/,v1=.*/, '') } }),
    ).toEqual([400, 'malformed_signature']);
    // The very bytes of the first delivery, replayed once the 1 s tolerance has passed.
    const t = Number(/t=(\d+)/.exec(header)?.[1]);
    await new Promise((r) => setTimeout(r, Math.max(0, (t + 1.2) * 1000 - Date.now())));
    expect(await send(original)).toEqual([400, 'timestamp_out_of_tolerance']);
  });
});

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('README', () => {
  it('should show the example handler exactly as it is tested', () => {
    const source = readFileSync(new URL('./examples/push-handler.ts', import.meta.url), 'utf8');
    const region = /\/\/ #region readme\n([\s\S]*?)\/\/ #endregion readme/.exec(source)?.[1];
    const readme = readFileSync(new URL('../../core/README.md', import.meta.url), 'utf8');
    expect(region).toBeDefined();
    expect(readme).toContain(region);
  });
});
