// One vocabulary per job kind: the spec's status enums, the clients' tables and the mock providers
// must agree. Every documented status goes mock -> client -> JobStatus and must come back as the
// state the mock meant; a status the spec gains and a table lacks fails here (and in typecheck).
import { type CheckClient, checkBatchKind, createCheckClient } from '@batchwatch/check-client';
import { statusEnum } from '@batchwatch/codegen';
import type { ItemStatus, JobStatus, SourceContext } from '@batchwatch/core';
import { createJobSource, itemFromKind, type JobKind } from '@batchwatch/core/client-kit';
import { jobResults } from '@batchwatch/core/results';
import { createRunflowClient, runflowBatchKind, runflowRunKind } from '@batchwatch/runflow-client';
import {
  createSupermetricsClient,
  supermetricsBatchKind,
  supermetricsQueryKind,
} from '@batchwatch/supermetrics-client';
import { describe, expect, it } from 'vitest';
import { loadSpec, type Provider } from '../../../specs/test/spec-validator.js';
import { createMockProviders, type JobScript, type MockProviders } from '../src/index.js';
import { check } from '../src/providers/check.js';
import { runflow } from '../src/providers/runflow.js';
import type { ItemState, JobState, MockJobKind, ProviderAdapter } from '../src/providers/shared.js';
import { supermetrics } from '../src/providers/supermetrics.js';

type AnyKind = JobKind<never, never, unknown, object>;
interface Described {
  provider: Provider;
  mockKind: MockJobKind;
  kind: AnyKind;
  adapter: ProviderAdapter;
}

const KINDS: Described[] = [
  { provider: 'supermetrics', mockKind: 'query', kind: supermetricsQueryKind as never, adapter: supermetrics },
  { provider: 'supermetrics', mockKind: 'batch', kind: supermetricsBatchKind as never, adapter: supermetrics },
  { provider: 'runflow', mockKind: 'batch', kind: runflowBatchKind as never, adapter: runflow },
  { provider: 'runflow', mockKind: 'run', kind: runflowRunKind as never, adapter: runflow },
  { provider: 'check', mockKind: 'batch', kind: checkBatchKind as never, adapter: check },
];
const name = (d: Described) => `${d.provider} ${d.mockKind}`;
const specs = { supermetrics: loadSpec('supermetrics'), runflow: loadSpec('runflow'), check: loadSpec('check') };
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** A client of `provider` whose every request the mock answers (no msw, no network). */
function client(provider: Provider, mock: MockProviders): unknown {
  const fetch = async (request: Request) =>
    (await mock.handle(request)) ?? new Response('no mock route', { status: 599 });
  if (provider === 'supermetrics') return createSupermetricsClient({ apiKey: 'test', fetch });
  if (provider === 'runflow') return createRunflowClient({ apiKey: 'test', fetch });
  return createCheckClient({ apiKey: 'test', fetch }) satisfies CheckClient;
}
const context = (): SourceContext => ({ signal: new AbortController().signal, now: Date.now });
const TERMINAL = new Set<JobState>(['succeeded', 'partially_succeeded', 'failed', 'cancelled']);

describe.each(KINDS)('$provider $mockKind: spec, client and mock agree', (d) => {
  const spec = specs[d.provider].spec;
  const mockKind = d.adapter.kinds[d.mockKind];
  if (!mockKind) throw new Error(`the mock has no ${name(d)}`);

  it("should map exactly the spec's documented statuses", () => {
    expect(sorted(Object.keys(d.kind.status.table))).toEqual(statusEnum(spec, d.kind.operation, d.kind.status.field));
  });

  it("should show only the client's documented statuses, every one of them, and an undocumented one for unknown", () => {
    expect(sorted(Object.values(mockKind.statuses).flat())).toEqual(sorted(Object.keys(d.kind.status.table)));
    expect(Object.hasOwn(d.kind.status.table, d.adapter.unknownStatus)).toBe(false);
  });

  // Every raw status the mock shows in a state, through the real client, comes back as that state.
  const cases = Object.entries(mockKind.statuses).flatMap(([state, raws]) =>
    raws.map((raw, i) => ({ state: state as JobState, raw, byDefault: i === 0 })),
  );
  it.each(cases)('should read $raw as $state (mock -> client)', async ({ state, raw, byDefault }) => {
    if (TERMINAL.has(state) && !mockKind.ends.includes(state as never)) return;
    const mock = createMockProviders();
    // The default status comes from playing the state; another spelling from a phase that shows it.
    const s: JobScript = byDefault
      ? TERMINAL.has(state)
        ? { phases: [], end: state as never }
        : { phases: [{ state: state as 'queued' | 'running', progress: 0.5 }] }
      : { phases: [{ state: TERMINAL.has(state) ? 'running' : (state as 'queued' | 'running'), raw }] };
    const id = mock.addJob(d.provider, d.mockKind, s);
    const source = createJobSource(d.kind, client(d.provider, mock) as never);
    const { snapshot } = await source.fetchSnapshot(id, context());
    expect(snapshot.rawStatus).toBe(raw);
    expect(snapshot.status).toBe(state satisfies JobStatus);
  });
});

/** What each item state of the mock means: a cancel removes Check's unfinished items (`skipped`). */
const ITEM_MEANING = (provider: Provider): Record<ItemState, ItemStatus> => ({
  queued: 'pending',
  running: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: provider === 'check' ? 'skipped' : 'cancelled',
});

describe.each(KINDS.filter((d) => d.kind.results?.item))(
  '$provider $mockKind items: spec, client and mock agree',
  (d) => {
    const spec = specs[d.provider].spec;
    const results = d.kind.results;
    const item = results?.item;
    const items = d.adapter.kinds[d.mockKind]?.items;
    if (!results || !item || !items || typeof results.items !== 'string') throw new Error(`${name(d)} has no items`);

    it("should map exactly the spec's documented item statuses", () => {
      expect(sorted(Object.keys(item.status.table))).toEqual(
        statusEnum(spec, results.operation, `${results.items}.${item.status.field}`),
      );
    });

    it("should show only the client's documented item statuses, every one of them", () => {
      expect(sorted(Object.values(items).flat())).toEqual(sorted(Object.keys(item.status.table)));
    });

    const cases = Object.entries(items).flatMap(([state, raws]) =>
      raws.map((raw) => ({ state: state as ItemState, raw })),
    );
    it.each(cases)('should read item status $raw as the mock item state $state means', ({ state, raw }) => {
      // Items a stopped Supermetrics batch never ran still say QUEUED: the page's batch status tells.
      const page = { meta: { status_code: state === 'cancelled' ? 'STOPPED' : 'RUNNING' } };
      expect(itemFromKind(item, { [item.status.field]: raw } as never, 0, page as never).status).toBe(
        ITEM_MEANING(d.provider)[state],
      );
    });

    it.each(['partially_succeeded', 'cancelled'] as const)(
      'should stream the items of a %s job with the statuses the mock meant',
      async (end) => {
        if (!d.adapter.kinds[d.mockKind]?.ends.includes(end)) return;
        const mock = createMockProviders();
        const id = mock.addJob(d.provider, d.mockKind, { phases: [], end, total: 6 });
        const source = createJobSource(d.kind, client(d.provider, mock) as never);
        const { snapshot } = await source.fetchSnapshot(id, context());
        const statuses = (await jobResults(source, id).toArray({ max: 10 })).map((i) => i.status);
        const meaning = ITEM_MEANING(d.provider);
        if (end === 'cancelled') expect(statuses).toEqual(Array(6).fill(meaning.cancelled));
        else {
          expect(statuses.filter((s) => s === 'failed')).toHaveLength(snapshot.progress.failed);
          expect(statuses.filter((s) => s === 'succeeded')).toHaveLength(6 - snapshot.progress.failed);
        }
      },
    );
  },
);

describe('statusEnum', () => {
  it('should fail the coverage check once the spec documents a status the table lacks', () => {
    const spec = structuredClone(specs.runflow.spec);
    const documented = statusEnum(spec, runflowBatchKind.operation, runflowBatchKind.status.field);
    expect(sorted(Object.keys(runflowBatchKind.status.table))).toEqual(documented);
    // A provider adds a status: the spec (and after `pnpm generate`, KnownBatchStatusCode) gains it.
    const open = spec.components.schemas.BatchStatusCode.anyOf.find((s: { enum?: string[] }) => s.enum);
    open.enum.push('paused_by_admin');
    const grown = statusEnum(spec, runflowBatchKind.operation, runflowBatchKind.status.field);
    expect(grown).toContain('paused_by_admin');
    expect(sorted(Object.keys(runflowBatchKind.status.table))).not.toEqual(grown);
  });

  it('should say when the field is not in the spec', () => {
    expect(() => statusEnum(specs.check.spec, 'GET /v1/batch/{id}', 'state')).toThrow(/has no state/);
    expect(() => statusEnum(specs.check.spec, 'GET /v1/nothing', 'status')).toThrow(/no operation/);
  });
});
