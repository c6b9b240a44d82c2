// Runflow's bodies: the statuses each state shows, and batches, runs, items and callbacks, every
// value derived from (seed, id, index), nothing stored.
import type { components, KnownBatchStatusCode, KnownRunStatusCode } from '@batchwatch/runflow-client';
import { derive, hex, int, uuid } from '../random.js';
import {
  type EngineApi,
  type ItemState,
  type ItemVocabulary,
  iso,
  isoOrNull,
  isRecord,
  type JobView,
  type MockJob,
  money,
  type Vocabulary,
} from './shared.js';

type S = components['schemas'];

/** A batch's (or run's) `status_code` in each state; a cancelled one follows `cancelSpelling`. */
export const STATUSES: Vocabulary<KnownBatchStatusCode> = {
  queued: ['queued', 'dispatching'],
  running: ['running'],
  succeeded: ['succeeded'],
  partially_succeeded: ['partial_succeeded'],
  failed: ['failed'],
  cancelled: ['cancelled', 'canceled'],
};

/** A run's `status_code`: a run never ends partially. */
export const RUN_STATUSES: Vocabulary<KnownRunStatusCode> = STATUSES;

/** An item's `status_code` (it mirrors its run) in each item state. */
export const ITEM_STATUSES: ItemVocabulary<KnownRunStatusCode> = {
  queued: ['queued', 'dispatching'],
  running: ['running'],
  succeeded: ['succeeded'],
  failed: ['failed', 'partial_succeeded'],
  cancelled: ['cancelled', 'canceled'],
};

/** The status a batch, run or item shows in `state`; cancellation is spelled as the account spells it. */
function statusFor(state: JobView['state'] | ItemState, engine: EngineApi): string {
  if (state === 'cancelled') return engine.options.cancelSpelling ?? STATUSES.cancelled[0];
  return state === 'unknown' ? 'paused' : STATUSES[state][0];
}

/** Cost of one finished item, in ten-thousandths (`"0.0420"`). */
const ITEM_COST = 420;
const org = (job: MockJob) => uuid(derive(job.seed, 'org'));
const user = (job: MockJob) => uuid(derive(job.seed, 'user'));
const model = (job: MockJob) => uuid(derive(job.seed, 'model', String(job.meta.model ?? 'runflow/background-replace')));
export const itemPrefix = (job: MockJob, what: 'item' | 'run') => uuid(derive(job.seed, job.id, what), 0).slice(0, 23);
/** Item and run ids end in the item index (hex), so they map back to their batch without a table. */
export const childId = (job: MockJob, what: 'item' | 'run', i: number) =>
  `${itemPrefix(job, what)}-${i.toString(16).padStart(12, '0')}`;

function input(job: MockJob, i: number): Record<string, unknown> {
  const given = (job.meta.input as Array<Record<string, unknown>> | undefined)?.[i];
  if (given) return given;
  const ref = `sku-${1001 + i}`;
  return { image_url: `https://cdn.example.com/shoots/${ref}.jpg`, prompt: 'white studio background', client_ref: ref };
}

function withoutRef(value: Record<string, unknown>): Record<string, unknown> {
  const { client_ref: _ref, ...rest } = value;
  return rest;
}

const clientRef = (job: MockJob, i: number) => {
  const ref = input(job, i).client_ref;
  return typeof ref === 'string' ? ref : null;
};

/** Timestamps of a batch item's run: started with the batch, finished a derived few seconds later (never after now). */
function runTimes(job: MockJob, v: JobView, state: string, engine: EngineApi, i: number | undefined) {
  if (i === undefined) return { started: v.startedAt, finished: v.finishedAt };
  const started = state !== 'queued' && state !== 'cancelled' ? (v.startedAt ?? v.createdAt) : undefined;
  const ends = state === 'succeeded' || state === 'failed' || (state === 'cancelled' && v.finishedAt !== undefined);
  const took = 1000 * int(derive(job.seed, job.id, 'took', i), 3, 40);
  const finished = ends
    ? Math.min(engine.now(), (started ?? v.finishedAt ?? v.createdAt) + (started ? took : 0))
    : undefined;
  return { started, finished };
}

export function run(
  job: MockJob,
  v: JobView,
  engine: EngineApi,
  state: JobView['state'] | ItemState,
  i: number | undefined,
): S['Run'] {
  const inBatch = i !== undefined;
  const id = inBatch ? childId(job, 'run', i) : job.id;
  const { started, finished } = runTimes(job, v, state, engine, i);
  const nodes = inBatch ? 1 : v.total;
  const nodesDone = inBatch ? (state === 'succeeded' ? 1 : 0) : v.done;
  const failed = state === 'failed';
  const url = `https://cdn.runflow.io/outputs/${id.slice(0, 8)}/${clientRef(job, i ?? 0) ?? id}.png`;
  return {
    id,
    flow_id: uuid(derive(job.seed, 'flow')),
    model_id: model(job),
    comfyui_workflow_id: null,
    target_type: 'model',
    target_version: '2026-03-18',
    org_id: org(job),
    status_code: v.raw ?? statusFor(state, engine),
    source_code: 'api',
    input: withoutRef(input(job, i ?? 0)),
    output: state === 'succeeded' ? { images: [{ url, width: 1024, height: 1024 }] } : null,
    context: {},
    duration_ms: started !== undefined && finished !== undefined ? finished - started : null,
    cost: nodesDone > 0 || failed ? money(nodesDone * ITEM_COST) : null,
    cost_breakdown: nodesDone > 0 ? { compute: money(nodesDone * ITEM_COST) } : null,
    nodes_total: nodes,
    nodes_completed: nodesDone,
    resolved_template_id: uuid(derive(job.seed, 'template')),
    batch_id: inBatch ? job.id : null,
    client_ref: inBatch ? clientRef(job, i) : null,
    jurisdiction_code: 'eu',
    flow_version_id: uuid(derive(job.seed, 'flow-version')),
    request_id: `req_${hex(derive(job.seed, id), 12)}`,
    created_by: user(job),
    created_at: iso(v.createdAt),
    started_at: isoOrNull(started),
    completed_at: isoOrNull(finished),
    callback_url: null,
    metadata: null,
    has_logs: state !== 'queued',
    has_node_runs: false,
    links: {},
    failure_code: failed ? 'PROVIDER_REJECTED_INPUT' : null,
    failure_message: failed ? 'image_url could not be fetched (HTTP 403).' : null,
    failure_stage_code: failed ? 'dispatch' : null,
    node_runs: [],
  };
}

export function item(job: MockJob, v: JobView, engine: EngineApi, i: number): S['BatchItem'] {
  const state = engine.item(job, v, i);
  const nested = run(job, v, engine, state, i);
  return {
    id: childId(job, 'item', i),
    batch_id: job.id,
    sequence_index: i,
    run_id: nested.id,
    created_at: iso(v.createdAt),
    client_ref: clientRef(job, i),
    status_code: nested.status_code ?? null,
    input: withoutRef(input(job, i)),
    cost: nested.cost ?? null,
    output: nested.output ?? null,
    error: state === 'failed' ? { code: nested.failure_code, message: nested.failure_message } : null,
    started_at: nested.started_at ?? null,
    completed_at: nested.completed_at ?? null,
    run: nested,
  };
}

export function batch(job: MockJob, v: JobView, engine: EngineApi, created = false): S['Batch'] {
  const succeeded = v.done - v.failed;
  const cancelled = v.state === 'cancelled' ? v.total - v.done : 0;
  const ended = v.finishedAt !== undefined;
  const failed = v.state === 'failed';
  const items: S['BatchItemHandle'][] = [];
  for (let i = 0; i < v.total; i++) {
    items.push({
      id: childId(job, 'item', i),
      sequence_index: i,
      run_id: childId(job, 'run', i),
      status_code: statusFor(engine.item(job, v, i), engine),
      client_ref: clientRef(job, i),
    });
  }
  const subset: S['Batch'] = {
    id: job.id,
    target_type: 'model',
    target_id: model(job),
    status_code: v.raw ?? statusFor(v.state, engine),
    items_total: v.total,
    items_succeeded: succeeded,
    items_failed: v.failed,
    items_cancelled: cancelled,
    items,
    created_at: iso(v.createdAt),
    output: ended && v.state !== 'cancelled' ? { succeeded, failed: v.failed, cancelled, total: v.total } : null,
    cost: v.done > 0 ? money(v.done * ITEM_COST) : null,
    metadata: isRecord(job.meta.metadata) ? job.meta.metadata : null,
    callback_url: typeof job.meta.callback_url === 'string' ? job.meta.callback_url : null,
    started_at: isoOrNull(v.startedAt),
    completed_at: isoOrNull(v.finishedAt),
  };
  if (created) return subset;
  const inputs: Record<string, unknown>[] = [];
  for (let i = 0; i < v.total; i++) inputs.push(input(job, i));
  return {
    ...subset,
    org_id: org(job),
    target_type_code: 'model',
    source_code: 'api',
    input: inputs,
    resolved_template_id: uuid(derive(job.seed, 'template')),
    dispatch_provider_link_id: uuid(derive(job.seed, 'provider-link')),
    duration_ms: ended ? (v.finishedAt ?? 0) - (v.startedAt ?? v.createdAt) : null,
    failure_code: failed ? 'ALL_ITEMS_FAILED' : null,
    failure_message: failed ? `All ${v.total} items failed.` : null,
    failure_stage_code: failed ? 'execution' : null,
    created_by: user(job),
    links: {},
  };
}

/** Callback timestamps use a `+00:00` offset, not `Z`, "so HMAC verification stays byte-equivalent". */
const offsetIso = (ms: number | undefined) => (ms === undefined ? null : iso(ms).replace(/Z$/, '+00:00'));

/** The batch callback Runflow POSTs to `callback_url` once the batch ended (events use UK `cancelled`). */
export function callbackEvent(job: MockJob, v: JobView, engine: EngineApi): S['BatchCallbackEvent'] | undefined {
  if (job.kind !== 'batch' || v.finishedAt === undefined) return undefined;
  const event = v.state === 'partially_succeeded' ? 'batch.partial_succeeded' : `batch.${v.state}`;
  const cancelled = v.state === 'cancelled' ? v.total - v.done : 0;
  let output: S['BatchCallbackEvent']['output'] = null;
  if (v.state === 'failed') {
    output = { code: 'ALL_ITEMS_FAILED', message: `All ${v.total} items failed.` };
  } else if (v.state !== 'cancelled') {
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < v.total; i++) {
      const it = item(job, v, engine, i);
      items.push({
        batch_item_id: it.id,
        run_id: it.run_id,
        client_ref: it.client_ref,
        status: it.status_code,
        output: it.output,
      });
    }
    output = { items, succeeded: v.done - v.failed, failed: v.failed, cancelled, total: v.total };
  }
  return {
    event,
    batch_id: job.id,
    status: statusFor(v.state, engine),
    output,
    duration_ms: v.finishedAt - (v.startedAt ?? v.createdAt),
    created_at: offsetIso(v.createdAt),
    completed_at: offsetIso(v.finishedAt),
    metadata: isRecord(job.meta.metadata) ? job.meta.metadata : null,
  };
}
