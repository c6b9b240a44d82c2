// The bodies of a provider made with defineMockProvider: a job's body (the template, then the id,
// status, counts and timestamps where its description reads them) and a page of its result items
// (where the description reads them, at the offset, page or cursor the request asks for).
import { fieldAt } from '@batchwatch/core/client-kit';
import type { MockBodyContext } from './described.js';
import type { DescribedKind } from './described-kind.js';
import {
  type EngineApi,
  type ItemState,
  intParam,
  iso,
  isRecord,
  type JobView,
  type MockJob,
  type Reply,
  type RouteRequest,
} from './providers/shared.js';

/** The usual query parameter names of a results page, tried after the kind's own. */
const OFFSET = ['offset', 'skip', 'start'];
const LIMIT = ['limit', 'page_size', 'pageSize', 'per_page', 'size'];
const PAGE = ['page', 'page_number', 'pageNumber'];
const CURSOR = ['cursor', 'after', 'page_token', 'pageToken', 'starting_after', 'next', 'continuation_token'];

/** Sets dotted `path` of `target` to `value`, making the objects on the way. */
function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = target;
  keys.slice(0, -1).forEach((key) => {
    if (!isRecord(at[key])) at[key] = {};
    at = at[key] as Record<string, unknown>;
  });
  at[keys.at(-1) as string] = value;
}

const list = (fields: string | readonly string[] | undefined): readonly string[] =>
  fields === undefined ? [] : typeof fields === 'string' ? [fields] : fields;

/** The job's body in `view` showing `rawStatus`: the template, then the id, status, counts and timestamps the description reads. */
export function renderBody(
  d: Pick<DescribedKind, 'name' | 'kind' | 'options'>,
  job: Pick<MockJob, 'id' | 'meta'>,
  view: JobView,
  rawStatus: string,
): Record<string, unknown> {
  const request = isRecord(job.meta.request) ? job.meta.request : {};
  const context: MockBodyContext = {
    id: job.id,
    kind: d.name,
    state: view.state,
    rawStatus,
    total: view.total,
    done: view.done,
    failed: view.failed,
    createdAt: view.createdAt,
    startedAt: view.startedAt,
    finishedAt: view.finishedAt,
    request,
  };
  const body = structuredClone(d.options.body ? d.options.body(context) : request) as Record<string, unknown>;
  const idField = d.options.idField === undefined ? 'id' : d.options.idField;
  if (idField !== null) setAt(body, idField, job.id);
  setAt(body, d.kind.status.field, rawStatus);
  const { progress, timestamps } = d.kind;
  if (typeof progress !== 'function') {
    const completed = list(progress.completed);
    const failed = list(progress.failed);
    for (const f of [...completed, ...failed]) setAt(body, f, 0);
    if (failed[0] !== undefined) setAt(body, failed[0], view.failed);
    const succeeded = completed.find((f) => !failed.includes(f));
    const counted = failed[0] !== undefined && completed.includes(failed[0]) ? view.failed : 0;
    if (succeeded !== undefined) setAt(body, succeeded, view.done - counted);
    if (progress.total !== undefined) setAt(body, progress.total, view.total);
  }
  const times = { createdAt: view.createdAt, startedAt: view.startedAt, finishedAt: view.finishedAt };
  for (const [role, fields] of Object.entries(timestamps ?? {})) {
    const at = times[role as keyof typeof times];
    const names = list(fields as string | readonly string[]);
    // The first field the template fills (a finished job's `failed_at` rather than `completed_at`),
    // in its form: Unix seconds where it holds a number, as OpenAI's bodies do; else ISO 8601.
    const field = names.find((f) => fieldAt(body, f) != null) ?? names[0];
    if (field !== undefined && at !== undefined) {
      setAt(body, field, typeof fieldAt(body, field) === 'number' ? Math.floor(at / 1000) : iso(at));
    }
  }
  return body;
}

/** A page of results: the items the description reads at `results.items`, and `results.next` for cursors. */
export function renderPage(
  d: Pick<DescribedKind, 'kind' | 'options' | 'items' | 'error'>,
  job: MockJob,
  view: JobView,
  engine: EngineApi,
  req: RouteRequest,
): Reply | undefined {
  const results = d.kind.results;
  if (!results || typeof results.items !== 'string') return undefined;
  const names = d.options.resultsQuery ?? {};
  const param = (given: string | undefined, usual: readonly string[]) =>
    [given, ...usual].find((n) => n !== undefined && req.query.has(n));
  const limitName = param(names.limit, LIMIT);
  const limit = limitName === undefined ? results.defaultPageSize : intParam(req.query, limitName);
  let start = 0;
  if (results.paging === 'offset') {
    const name = param(names.offset, OFFSET);
    start = name === undefined ? 0 : (intParam(req.query, name) ?? 0);
  } else if (results.paging === 'page') {
    const name = param(names.page, PAGE);
    const page = (name === undefined ? undefined : intParam(req.query, name)) ?? names.firstPage ?? 0;
    start = (page - (names.firstPage ?? 0)) * (limit ?? results.defaultPageSize);
  } else {
    const name = param(names.cursor, CURSOR);
    const cursor = name === undefined ? '' : (req.query.get(name) ?? '');
    start = cursor === '' ? 0 : /^c\d+$/.test(cursor) ? Number(cursor.slice(1)) : Number.NaN;
  }
  if (limit === undefined || !Number.isInteger(limit) || limit < 1 || limit > results.maxPageSize || !(start >= 0)) {
    return d.error(400, { req, message: 'The page parameters are out of range.' });
  }
  const items: Record<string, unknown>[] = [];
  const end = Math.min(view.total, start + limit);
  for (let i = start; i < end; i++) items.push(renderItem(d, job, view, engine, i));
  const page: Record<string, unknown> = {};
  setAt(page, results.items, items);
  if (results.paging === 'cursor' && typeof results.next === 'string')
    setAt(page, results.next, end < view.total ? `c${end}` : null);
  return { status: 200, body: page };
}

/** Item `index` of the job: its id, index and status where the description's item reads them. */
function renderItem(
  d: Pick<DescribedKind, 'kind' | 'items'>,
  job: MockJob,
  view: JobView,
  engine: EngineApi,
  index: number,
): Record<string, unknown> {
  const item = d.kind.results?.item;
  const state: ItemState = engine.item(job, view, index);
  const out: Record<string, unknown> = {};
  if (!item) {
    out.index = index;
    return out;
  }
  if (typeof item.id === 'string') setAt(out, item.id, `${job.id}-${index + 1}`);
  if (typeof item.index === 'string') setAt(out, item.index, index);
  setAt(out, item.status.field, d.items?.[state][0] ?? state);
  return out;
}
