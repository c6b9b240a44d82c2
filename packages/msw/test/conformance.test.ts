// Every JSON body the mock produces must validate against the provider's spec for its operation and status.
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadSpec, type SpecValidator } from '../../../specs/test/spec-validator.js';
import {
  createMockProviders,
  type Fault,
  type JobEnd,
  type JobScript,
  type MockJobKind,
  type MockProviderName,
  type MockProviders,
  type MockProvidersOptions,
  PRODUCTION_BASES,
} from '../src/index.js';

const specs: Record<MockProviderName, SpecValidator> = {
  supermetrics: loadSpec('supermetrics'),
  runflow: loadSpec('runflow'),
  check: loadSpec('check'),
};
const validators = new Map<string, ValidateFunction>();
const validator = (provider: MockProviderName, operationId: string, status: number) => {
  const key = `${provider} ${operationId} ${status}`;
  const known = validators.get(key);
  if (known) return known;
  const v = specs[provider].response(operationId, status);
  validators.set(key, v);
  return v;
};

interface Checked {
  provider: MockProviderName;
  operationId: string;
  status: number;
  errors: string[];
}

/** Sends requests through `mock.handle` and validates every JSON body it answers. */
function harness(options: MockProvidersOptions = {}) {
  const mock = createMockProviders(options);
  const checked: Checked[] = [];
  async function call(
    method: string,
    url: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: unknown }> {
    const request = new Request(url, {
      method,
      headers: { 'Content-Type': 'application/json', ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const response = await mock.handle(request);
    if (!response) throw new Error(`no mock route for ${method} ${url}`);
    const record = mock.requests.at(-1);
    if (!record) throw new Error('nothing logged');
    const text = await response.text();
    if (!response.headers.get('content-type')?.startsWith('application/json'))
      return { status: response.status, body: text };
    const body: unknown = JSON.parse(text);
    const validate = validator(record.provider, record.operationId, record.status);
    const ok = validate(body);
    checked.push({
      provider: record.provider,
      operationId: record.operationId,
      status: record.status,
      errors: ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`),
    });
    return { status: response.status, body };
  }
  return { mock, call, checked };
}

type Harness = ReturnType<typeof harness>;
const SM = PRODUCTION_BASES.supermetrics;
const RF = PRODUCTION_BASES.runflow;
const CK = PRODUCTION_BASES.check;
const json = (o: unknown) => encodeURIComponent(JSON.stringify(o));

/** Every read of a job a client can make, so each body shape is produced at each state. */
async function readAll(h: Harness, provider: MockProviderName, kind: MockJobKind, id: string): Promise<void> {
  if (provider === 'supermetrics' && kind === 'query') {
    await h.call('GET', `${SM}/query/status?json=${json({ schedule_id: id, offset_start: 1, offset_end: 3 })}`);
    await h.call('GET', `${SM}/query/status?schedule_id=${id}`);
    await h.call('GET', `${SM}/query/results?schedule_id=${id}&limit=5`);
  } else if (provider === 'supermetrics') {
    await h.call('GET', `${SM}/query/batch/${id}`);
    await h.call('GET', `${SM}/query/batch/${id}/status?limit=3`);
    await h.call('GET', `${SM}/query/batch/${id}/status?offset=3&limit=1000`);
    await h.call('GET', `${SM}/query/results?schedule_id=${id}_query_1`);
  } else if (provider === 'runflow' && kind === 'run') {
    await h.call('GET', `${RF}/v1/runs/${id}`);
  } else if (provider === 'runflow') {
    const batch = (await h.call('GET', `${RF}/v1/batches/${id}`)).body as {
      items?: Array<{ id: string; run_id: string }>;
    };
    const page = (await h.call('GET', `${RF}/v1/batches/${id}/items?limit=2`)).body as { next_pq?: string | null };
    if (page.next_pq) await h.call('GET', `${RF}/v1/batches/${id}/items?pq=${page.next_pq}&limit=500`);
    const first = batch.items?.[0];
    if (first) {
      await h.call('GET', `${RF}/v1/batches/${id}/items/${first.id}`);
      await h.call('GET', `${RF}/v1/runs/${first.run_id}`);
    }
  } else {
    await h.call('GET', `${CK}/v1/batch/${id}`);
    await h.call('GET', `${CK}/v1/batch/${id}/results?limit=100`);
    await h.call('GET', `${CK}/v1/batch/${id}/results?status=failed`);
    await h.call('GET', `${CK}/v1/batch?limit=100`);
  }
}

const KINDS: Array<[MockProviderName, MockJobKind, JobEnd[]]> = [
  ['supermetrics', 'query', ['succeeded', 'failed', 'cancelled']],
  ['supermetrics', 'batch', ['succeeded', 'partially_succeeded', 'failed', 'cancelled']],
  ['runflow', 'batch', ['succeeded', 'partially_succeeded', 'failed', 'cancelled']],
  ['runflow', 'run', ['succeeded', 'failed', 'cancelled']],
  ['check', 'batch', ['succeeded', 'partially_succeeded', 'failed', 'cancelled']],
];

const FAULTS: Fault[] = [
  { kind: 'rate-limit', retryAfter: 30 },
  { kind: 'rate-limit', retryAfter: 'date' },
  { kind: 'server-error' },
  { kind: 'server-error', status: 500 },
  { kind: 'server-error', status: 502 },
  { kind: 'server-error', status: 503 },
  { kind: 'unknown-status', raw: 'PAUSED' },
  { kind: 'unauthorized' },
  { kind: 'not-found' },
  { kind: 'slow', delayMs: 0 },
];

const LIFECYCLE = (end: JobEnd): JobScript => ({
  phases: [{ state: 'queued', polls: 2 }, { state: 'unknown' }, { state: 'running', progress: [0.2, 0.8], polls: 3 }],
  end,
  totalGrowth: [3, 5, 7, 7, 9],
});

function expectAllValid(checked: Checked[]): void {
  const invalid = checked.filter((c) => c.errors.length > 0);
  expect(invalid).toEqual([]);
  expect(checked.length).toBeGreaterThan(0);
}

describe('spec conformance', () => {
  describe.each(KINDS)('%s %s', (provider, kind, ends) => {
    it.each(ends)('should produce valid bodies through a lifecycle ending %s', async (end) => {
      for (const options of [
        {},
        { supermetrics: { asyncStatus: 202 as const }, runflow: { cancelSpelling: 'canceled' as const } },
      ]) {
        const h = harness(options);
        const id = h.mock.addJob(provider, kind, LIFECYCLE(end));
        for (let i = 0; i < 8; i++) await readAll(h, provider, kind, id);
        expect(h.mock.job(id)?.state).toBe(end);
        expectAllValid(h.checked);
      }
    });

    it.each(FAULTS.map((f) => [`${f.kind} ${JSON.stringify(f)}`, f] as const))(
      'should produce valid bodies for the %s fault',
      async (_name, fault) => {
        const h = harness();
        const id = h.mock.addJob(provider, kind, {
          ...LIFECYCLE('succeeded'),
          faults: [{ ...fault, at: 1, times: 2 }],
        });
        for (let i = 0; i < 4; i++) await readAll(h, provider, kind, id);
        expectAllValid(h.checked);
      },
    );
  });

  it('should produce valid Supermetrics create, cancel and error bodies', async () => {
    const h = harness({ apiKeys: { supermetrics: 'sm' } });
    const auth = { Authorization: 'Bearer sm' };
    expect((await h.call('GET', `${SM}/query/status?schedule_id=abc`)).status).toBe(401);
    expect((await h.call('POST', `${SM}/query/batch`, { body: { queries: [{}] } })).status).toBe(401);
    const started = await h.call(
      'GET',
      `${SM}/query/data/json?json=${json({ ds_id: 'GAWA', sync_timeout: 0, api_key: 'sm' })}`,
    );
    expect(started.status).toBe(202);
    await h.call('GET', `${SM}/query/data/json?ds_id=GAWA&schedule_id=my_query_123&sync_timeout=0`, { headers: auth });
    await h.call('GET', `${SM}/query/data/json?schedule_id=x`, { headers: auth });
    await h.call('GET', `${SM}/query/data/json?ds_id=GA&schedule_id=${'x'.repeat(60)}`, { headers: auth });
    await h.call('GET', `${SM}/query/status`, { headers: auth });
    await h.call('GET', `${SM}/query/status?schedule_id=nope`, { headers: auth });
    await h.call('GET', `${SM}/query/results`, { headers: auth });
    await h.call('GET', `${SM}/query/results?schedule_id=nope`, { headers: auth });
    const created = await h.call('POST', `${SM}/query/batch`, {
      headers: auth,
      body: {
        queries: [
          { ds_id: 'AW', ds_accounts: '123456789', start_date: '2022-09-01', end_date: '2022-09-03', fields: 'date' },
          'q2',
        ],
        description: 'daily',
        split_accounts_policy: 'all',
      },
    });
    expect(created.status).toBe(201);
    await h.call('POST', `${SM}/query/batch`, { headers: auth, body: { queries: [] } });
    await h.call('POST', `${SM}/query/batch`, { headers: auth, body: { queries: ['q'], timeout_minutes: 1 } });
    const id = (created.body as { data: { batch_id: string } }).data.batch_id;
    await h.call('GET', `${SM}/query/batch/${id}/status`, { headers: auth });
    expect((await h.call('DELETE', `${SM}/query/batch/${id}`, { headers: auth })).status).toBe(200);
    await h.call('DELETE', `${SM}/query/batch/${id}`, { headers: auth });
    await h.call('DELETE', `${SM}/query/batch/qrb_000000000000`, { headers: auth });
    await h.call('GET', `${SM}/query/batch/qrb_000000000000`, { headers: auth });
    await h.call('GET', `${SM}/query/batch/qrb_000000000000/status`, { headers: auth });
    await readAll(h, 'supermetrics', 'batch', id);
    expectAllValid(h.checked);
  });

  it('should produce valid Runflow create, replay, conflict and error bodies', async () => {
    const h = harness({ apiKeys: { runflow: 'rf' } });
    const auth = { Authorization: 'Bearer rf' };
    const url = `${RF}/v1/models/runflow/background-replace/batches`;
    const body = {
      input: [{ prompt: 'a', client_ref: 'sku-1' }, { prompt: 'b' }],
      metadata: { project: 'x' },
      callback_url: 'https://hooks.example.com/x',
    };
    expect((await h.call('POST', url, { body })).status).toBe(401);
    const created = await h.call('POST', url, { body, headers: { ...auth, 'Idempotency-Key': 'k1' } });
    expect(created.status).toBe(201);
    expect((await h.call('POST', url, { body, headers: { ...auth, 'Idempotency-Key': 'k1' } })).status).toBe(201);
    expect(
      (await h.call('POST', url, { body: { input: [{}] }, headers: { ...auth, 'Idempotency-Key': 'k1' } })).status,
    ).toBe(409);
    expect((await h.call('POST', url, { body: { input: [] }, headers: auth })).status).toBe(422);
    expect((await h.call('POST', url, { body: { nope: 1 }, headers: auth })).status).toBe(422);
    const id = (created.body as { id: string }).id;
    await h.call('GET', `${RF}/v1/batches/${id}/items?limit=501`, { headers: auth });
    await h.call('GET', `${RF}/v1/batches/${id}/items?pq=!!`, { headers: auth });
    await h.call('GET', `${RF}/v1/batches/00000000-0000-4000-8000-000000000000`, { headers: auth });
    await h.call('GET', `${RF}/v1/batches/00000000-0000-4000-8000-000000000000/items`, { headers: auth });
    await h.call('GET', `${RF}/v1/batches/${id}/items/00000000-0000-4000-8000-000000000000`, { headers: auth });
    await h.call('GET', `${RF}/v1/runs/00000000-0000-4000-8000-000000000000`, { headers: auth });
    for (let i = 0; i < 4; i++) {
      const batch = (await h.call('GET', `${RF}/v1/batches/${id}`, { headers: auth })).body as {
        items: Array<{ run_id: string }>;
      };
      await h.call('GET', `${RF}/v1/runs/${batch.items[1]?.run_id}`, { headers: auth });
      await h.call('GET', `${RF}/v1/batches/${id}/items`, { headers: auth });
    }
    expectAllValid(h.checked);
  });

  it('should produce valid Check create, list, results, cancel and error bodies', async () => {
    const h = harness({ apiKeys: { check: 'vfy_ck' } });
    const auth = { Authorization: 'Bearer vfy_ck' };
    expect((await h.call('GET', `${CK}/v1/batch`)).status).toBe(401);
    const created = await h.call('POST', `${CK}/v1/batch`, {
      headers: auth,
      body: {
        name: 'claims',
        items: [{ content: 'a', idempotencyKey: 'c1', context: { s: 1 } }, { content: 'b' }],
        methods: { reasoning: 1, tool: 0.5 },
        context: { source: 'x' },
      },
    });
    expect(created.status).toBe(202);
    const fromFile = await h.call('POST', `${CK}/v1/batch`, {
      headers: auth,
      body: { fileId: '3c90c3cc-0d44-4b50-8888-8dd25736052a' },
    });
    expect(fromFile.status).toBe(202);
    expect((await h.call('POST', `${CK}/v1/batch`, { headers: auth, body: { name: 'x' } })).status).toBe(400);
    expect((await h.call('POST', `${CK}/v1/batch`, { headers: auth, body: { items: [{}] } })).status).toBe(422);
    const id = (created.body as { id: string }).id;
    await h.call('GET', `${CK}/v1/batch?limit=0`, { headers: auth });
    await h.call('GET', `${CK}/v1/batch?status=pending&offset=1`, { headers: auth });
    await h.call('GET', `${CK}/v1/batch/${id}/results?limit=101`, { headers: auth });
    await h.call('GET', `${CK}/v1/batch/batch_nope/results`, { headers: auth });
    await h.call('GET', `${CK}/v1/batch/batch_nope`, { headers: auth });
    await h.call('POST', `${CK}/v1/batch/batch_nope/cancel`, { headers: auth });
    await h.call('GET', `${CK}/v1/batch/${id}`, { headers: auth });
    expect((await h.call('POST', `${CK}/v1/batch/${id}/cancel`, { headers: auth })).status).toBe(200);
    expect((await h.call('POST', `${CK}/v1/batch/${id}/cancel`, { headers: auth })).status).toBe(400);
    await h.call('GET', `${CK}/v1/batch/${id}/results`, { headers: auth });
    await h.call('GET', `${CK}/v1/batch`, { headers: auth });
    expectAllValid(h.checked);
  });

  it('should cover every operation of the three specs', async () => {
    const seen = new Set<string>();
    const all = async (mock: MockProviders) => {
      for (const r of mock.requests) seen.add(`${r.provider} ${r.operationId}`);
    };
    const h = harness();
    for (const [provider, kind] of KINDS) {
      const id = h.mock.addJob(provider, kind, LIFECYCLE('succeeded'));
      for (let i = 0; i < 8; i++) await readAll(h, provider, kind, id);
    }
    await h.call('GET', `${SM}/query/data/json?ds_id=GAWA`);
    await h.call('POST', `${SM}/query/batch`, { body: { queries: ['q'] } });
    await h.call('DELETE', `${SM}/query/batch/${h.mock.addJob('supermetrics', 'batch')}`);
    await h.call('POST', `${RF}/v1/models/o/s/batches`, { body: { input: [{}] } });
    await h.call('POST', `${CK}/v1/batch`, { body: { items: [{ content: 'a' }] } });
    await h.call('POST', `${CK}/v1/batch/${h.mock.addJob('check', 'batch')}/cancel`);
    await all(h.mock);
    const operations = (['supermetrics', 'runflow', 'check'] as const).flatMap((p) =>
      Object.values(specs[p].spec.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((item) =>
        Object.values(item)
          .map((op) => op?.operationId)
          .filter((op): op is string => typeof op === 'string')
          .map((op) => `${p} ${op}`),
      ),
    );
    expect([...seen].sort()).toEqual([...new Set(operations)].sort());
    expectAllValid(h.checked);
  });
});

describe('spec validator (control)', () => {
  it('should reject bodies that break the spec', () => {
    expect(validator('runflow', 'getBatch', 200)({ id: 'not-a-uuid' })).toBe(false);
    expect(validator('supermetrics', 'getQueryStatus', 404)({ error: 'NOPE' })).toBe(false);
    expect(
      validator('check', 'getBatchResults', 200)({ batch: { id: 'batch_x', status: 'completed' }, items: [] }),
    ).toBe(false);
  });
});
