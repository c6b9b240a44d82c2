// Supermetrics' bodies: the statuses each state shows, result rows (JSON and CSV) generated per
// page, and the query, batch and batch-status bodies.
import type {
  components,
  KnownBatchQueryStatusCode,
  KnownQueryBatchStatusCode,
  KnownQueryStatusCode,
} from '@batchwatch/supermetrics-client';
import { derive, hash, hashMore, int, seededRandom } from '../random.js';
import {
  type EngineApi,
  type ItemVocabulary,
  intParam,
  iso,
  isoOrNull,
  type JobView,
  type MockJob,
  type Reply,
  type RouteRequest,
  statusIn,
  type Vocabulary,
} from './shared.js';

type S = components['schemas'];

/** A query's `status_code` (`GET /query/status`) in each state; a query never ends partially. */
export const QUERY_STATUSES: Vocabulary<KnownQueryStatusCode> = {
  queued: ['QUEUED', 'SCHEDULED'],
  running: ['RUNNING'],
  succeeded: ['SUCCESS'],
  partially_succeeded: ['SUCCESS'],
  failed: ['FAILURE', 'PROCESS_EXITED'],
  cancelled: ['STOPPED'],
};

/**
 * A batch's `status_code` in each state. There is no finished literal: every end is `STOPPED`, a
 * cancelled one with `cancel_time`; the `/status` counters tell the rest.
 */
export const BATCH_STATUSES: Vocabulary<KnownQueryBatchStatusCode> = {
  queued: ['QUEUED'],
  running: ['RUNNING'],
  succeeded: ['STOPPED'],
  partially_succeeded: ['STOPPED'],
  failed: ['STOPPED'],
  cancelled: ['STOPPED'],
};

/** A query's `status_code` in a batch (no SCHEDULED or STOPPED there); one a stopped batch never ran stays `QUEUED`. */
export const QUERY_IN_BATCH: ItemVocabulary<KnownBatchQueryStatusCode> = {
  queued: ['QUEUED'],
  running: ['RUNNING'],
  succeeded: ['SUCCESS'],
  failed: ['FAILURE'],
  cancelled: ['QUEUED'],
};

/** The state-dependent part of a `QueryBatch`: its status and, once cancelled, `cancel_time`. */
const batchState = (v: JobView): Pick<S['QueryBatch'], 'status_code' | 'cancel_time'> => ({
  status_code: statusIn(BATCH_STATUSES, v),
  cancel_time: v.state === 'cancelled' ? isoOrNull(v.cancelledAt ?? v.finishedAt) : null,
});

const toInt = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return v === undefined ? undefined : Number.NaN;
};

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` (UTC) of clock ms for years 1000-9999, without a `Date`: rows come by the million. */
function isoDay(ms: number): string {
  // Days to civil date (Howard Hinnant's algorithm).
  const z = Math.floor(ms / DAY_MS) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/**
 * Result rows `from..to` (exclusive) of a query: derived from (seed, schedule id, i), never stored.
 * Dates walk back one day per row and repeat every ten years.
 */
export function rowsOf(
  seed: number,
  scheduleId: string,
  createdAt: number,
  from: number,
  to: number,
): Record<string, unknown>[] {
  const prefix = hash(seed, scheduleId, 'row', '');
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < to; i++) {
    const r = seededRandom(hashMore(prefix, String(i)));
    const sessions = int(r, 200, 4000);
    out.push({
      date: isoDay(createdAt - ((i % 3650) + 1) * DAY_MS),
      sessions,
      users: Math.round(sessions * (0.6 + r() * 0.3)),
    });
  }
  return out;
}

/** A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break. */
const csvCell = (v: unknown) => {
  const t = String(v);
  return /[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
};
const CSV_HEADER = 'date,sessions,users';

/**
 * A `text/csv` page of `GET /query/results` (the spec's other 200 body): a header line, then the
 * same rows as the JSON page, generated for this answer only. Every page starts with the header.
 */
export const csvPage = (rows: Record<string, unknown>[]) =>
  `${[CSV_HEADER, ...rows.map((r) => `${csvCell(r.date)},${csvCell(r.sessions)},${csvCell(r.users)}`)].join('\r\n')}\r\n`;

// A query has at most 1,000,000 rows (the largest offset the spec allows); a page at most 10,000.
const MAX_ROWS = 1_000_000;
const PAGE_ROWS = 10_000;
export const rowCount = (job: MockJob) => Math.min(MAX_ROWS, Math.max(0, Math.floor(job.script.rows ?? 10)));

/** `GET /query/status` of a page of rows, for `meta.paginate` links. */
const pageLink = (base: string, id: string, start: number, size: number) =>
  `${base}/query/status?json=${encodeURIComponent(JSON.stringify({ schedule_id: id, offset_start: start, offset_end: start + size - 1 }))}`;

/**
 * The status body; once `SUCCESS`, rows `offset_start..offset_end` (inclusive, at most 10,000) are
 * generated for this answer only. A request with offsets also gets `meta.paginate` links.
 */
export function queryStatus(
  job: MockJob,
  v: JobView,
  engine: EngineApi,
  params: Record<string, unknown>,
  page?: { base: string; rows: number | undefined },
): Reply {
  const raw = statusIn(QUERY_STATUSES, v);
  const done = raw === 'SUCCESS';
  const rows = page?.rows ?? rowCount(job);
  const start = toInt(params.offset_start) ?? 0;
  const asked = toInt(params.offset_end) ?? Number.MAX_SAFE_INTEGER;
  const end = Math.min(rows - 1, asked, start + PAGE_ROWS - 1);
  const data = done ? rowsOf(job.seed, job.id, job.createdAt, start, end + 1) : [];
  let paginate: NonNullable<S['QueryStatusResponse']['meta']>['paginate'];
  if (done && page) {
    const size = Math.max(1, Math.min(PAGE_ROWS, asked - start + 1));
    const after = Math.max(start, end + 1);
    paginate = {
      prev: start > 0 ? pageLink(page.base, job.id, Math.max(0, start - size), size) : null,
      next: after < rows && after <= MAX_ROWS ? pageLink(page.base, job.id, after, size) : null,
    };
  }
  const body: S['QueryStatusResponse'] = {
    meta: {
      request_id: engine.requestId(),
      schedule_id: job.id,
      status_code: raw,
      progress: { queries_ready: Math.min(10_000, v.done), queries_total: Math.min(10_000, v.total) },
      workflow: {
        tasks_scheduled: Math.min(1000, Math.max(0, v.total - v.done - v.running)),
        tasks_running: Math.min(1000, v.running),
      },
      ...(paginate ? { paginate } : {}),
    },
    data,
  };
  const finished = raw === 'SUCCESS' || raw === 'FAILURE' || raw === 'STOPPED';
  return { status: finished ? 200 : (engine.options.asyncStatus ?? 200), body };
}

export function batchBody(job: MockJob, v: JobView, engine: EngineApi, base: string): S['QueryBatchResponse'] {
  const m = job.meta;
  const data: S['QueryBatch'] = {
    '@type': 'query_batch',
    batch_id: job.id,
    ...batchState(v),
    schedule_time: iso(v.createdAt),
    ...(v.startedAt === undefined ? {} : { start_time: iso(v.startedAt) }),
    end_time: isoOrNull(v.finishedAt),
    description: typeof m.description === 'string' ? m.description : 'batchwatch mock batch',
    split_accounts_policy: typeof m.split_accounts_policy === 'string' ? m.split_accounts_policy : 'none',
    split_dates_policy: typeof m.split_dates_policy === 'string' ? m.split_dates_policy : 'none',
    timeout_minutes: typeof m.timeout_minutes === 'number' ? m.timeout_minutes : 30,
    query_amount: v.total,
    query_concurrency: typeof m.query_concurrency === 'number' ? m.query_concurrency : 5,
    query_output_format: typeof m.query_output_format === 'string' ? m.query_output_format : 'json',
    add_exclude_account_errors: m.add_exclude_account_errors === true,
    add_clean_data_types: m.add_clean_data_types === true,
    links: { status: { href: `${base}/query/batch/${job.id}/status` } },
  };
  return { meta: { request_id: engine.requestId() }, data };
}

export function batchQuery(job: MockJob, v: JobView, engine: EngineApi, base: string, i: number): S['BatchQuery'] {
  const state = engine.item(job, v, i);
  const scheduleId = `${job.id}_query_${i + 1}`;
  const r = derive(job.seed, scheduleId);
  const given = (job.meta.queries as Array<Record<string, unknown>> | undefined)?.[i];
  const account = typeof given?.ds_accounts === 'string' ? given.ds_accounts : String(int(r, 100_000_000, 999_999_999));
  const day = (offset: number) => iso(job.createdAt - offset * 86_400_000).slice(0, 10);
  const started = state !== 'queued' && state !== 'cancelled';
  const startedAt = v.startedAt ?? v.createdAt;
  const finished = state === 'succeeded' || state === 'failed';
  const entry: S['BatchQuery'] = {
    '@type': 'batch_query',
    schedule_id: scheduleId,
    status_code: QUERY_IN_BATCH[state][0],
    ...(started ? { query_start_time: iso(startedAt) } : {}),
    query_end_time: finished ? iso(Math.min(engine.now(), startedAt + 1000 * int(r, 2, 90))) : null,
    split_info: {
      ds_accounts: [account],
      start_date: typeof given?.start_date === 'string' ? given.start_date : day(3),
      end_date: typeof given?.end_date === 'string' ? given.end_date : day(1),
    },
    error_info:
      state === 'failed'
        ? {
            status: 500,
            code: 'QUERY_ACCOUNT_UNAVAILABLE',
            message: 'Account is not available',
            description: `Google Ads account "${account}" is no longer available.`,
          }
        : null,
    result_info:
      state === 'succeeded'
        ? { total_rows: int(r, 1, 500), results_url: `${base}/query/results?schedule_id=${scheduleId}` }
        : null,
  };
  return entry;
}

export function batchStatus(job: MockJob, v: JobView, engine: EngineApi, req: RouteRequest): Reply {
  const offset = intParam(req.query, 'offset') ?? 0;
  const limit = Math.min(1000, Math.max(1, intParam(req.query, 'limit') ?? 100));
  const from = Number.isNaN(offset) ? 0 : offset;
  const size = Number.isNaN(limit) ? 100 : limit;
  const data: S['BatchQuery'][] = [];
  for (let i = from; i < Math.min(v.total, from + size); i++) data.push(batchQuery(job, v, engine, req.base, i));
  const body: S['QueryBatchStatusResponse'] = {
    meta: {
      request_id: engine.requestId(),
      status_code: statusIn(BATCH_STATUSES, v),
      progress: {
        queued: Math.max(0, v.total - v.done - v.running),
        running: v.running,
        success: v.done - v.failed,
        failure: v.failed,
      },
      paginate: { offset: from, limit: size, total: v.total },
    },
    data,
  };
  return { status: 200, body };
}
