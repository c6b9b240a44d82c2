import { lookupStatus } from '../internal/lookup.js';
import type {
  JobFailure,
  JobSnapshot,
  JobStatus,
  JobTimestamps,
  ProviderName,
  SnapshotInit,
  StatusTable,
} from '../job-state.js';
import type { ItemStatusTable } from '../results/index.js';
import type { ItemStatus, PollHints, ResultItem, SourceContext } from '../source.js';
import { type ApiResult, type ErrorBodyParser, unwrapApiResult } from './http.js';
import type { ParamRules } from './params.js';
import { statusOf } from './shape.js';
import { createSnapshot } from './snapshot.js';

/**
 * A dotted path to a field of `T`, e.g. `'status_code'` or `'meta.progress.queries_ready'`: at most
 * four levels deep, never into an array. A typo fails typecheck.
 */
export type FieldPath<T> = PathIn<T, [0, 0, 0, 0]>;
type PathIn<T, D extends unknown[]> = T extends readonly unknown[]
  ? never
  : T extends object
    ? {
        [K in keyof T & string]-?:
          | K
          | (D extends [unknown, ...infer R] ? `${K}.${PathIn<NonNullable<T[K]>, R>}` : never);
      }[keyof T & string]
    : never;

/** What a description's `read`, `cancel` and page reads get: the client, the signal, the options and `call`. */
export interface KindRequest<TClient, TOptions = {}> {
  /** The provider client the source or pager was built with. */
  readonly client: TClient;
  /** Aborted when the poll or page is given up: pass it to every request. */
  readonly signal: AbortSignal;
  /** The options the source or pager was built with (`{}` when none). */
  readonly options: TOptions;
  /** The clock of the watch or result stream, in milliseconds. */
  now(): number;
  /**
   * Unwraps one openapi-fetch call (`call(client.GET(...))`): its body, or the batchwatch error for
   * the response (`unwrapApiResult`). The response's hints (`Retry-After`, rate limits) go with the
   * poll or page; when a read sends several requests the first one's win, the longest wait counts.
   */
  call<TData>(result: Promise<ApiResult<TData, unknown>>): Promise<TData>;
}

/** How a job kind reads its status: where the string is and what each documented value means. */
export type KindStatus<TRaw> = {
  /**
   * Every documented raw status and its {@link JobStatus}; anything else is `unknown`. Annotate it
   * with the spec's generated union (`StatusTable<KnownBatchStatus>`) so a status the spec gains
   * and the table lacks fails typecheck.
   */
  readonly table: StatusTable;
  /** Adjusts the table's answer from other fields (e.g. `completed` with failures is `partially_succeeded`). */
  refine?(status: JobStatus, raw: TRaw): JobStatus;
} & (
  | {
      /** The status field of the raw body, e.g. `'status_code'`; named in shape errors. */
      readonly field: FieldPath<TRaw>;
      readonly get?: undefined;
    }
  | {
      /** The status field as the provider's response names it (for errors and the spec), e.g. `'data.status_code'`. */
      readonly field: string;
      /** Reads the status when the raw value is not the status body itself. */
      get(raw: TRaw): unknown;
    }
);

/** A count: one field, or several added up. Anything but a finite number counts 0. */
export type CountField<TRaw> = FieldPath<TRaw> | readonly FieldPath<TRaw>[];

/** Where a job's counts are, as fields. */
export interface KindProgress<TRaw> {
  /** Items that reached an end, successful or not. */
  readonly completed: CountField<TRaw>;
  /** Of those, the ones that failed (or were cancelled). Defaults to none: `0`. */
  readonly failed?: CountField<TRaw>;
  /** How many items the job has; anything but a number is unknown (`null`). Defaults to unknown. */
  readonly total?: FieldPath<TRaw>;
}

/**
 * Where a job's timestamps are: a field, or several of which the first that holds a time is used. A
 * time is a non-empty string (kept as it is: ISO 8601 is expected) or a positive Unix time, which
 * snapshots carry as ISO 8601: seconds (`1767225600`, as OpenAI sends), or milliseconds when it is
 * `1e11` or more (any date after March 1973). Anything else (`0`, `null`, an object) is no time.
 */
export type KindTimestamps<TRaw> = {
  readonly [K in keyof JobTimestamps]?: FieldPath<TRaw> | readonly FieldPath<TRaw>[];
};

/**
 * A job kind at a provider, described as data and small functions (in the spirit of core-lro's
 * operation getters): `createJobSource(kind, client)` turns it into the `JobSource`, and
 * `createResultPager(kind, client)` into its result pager.
 *
 * @example
 * export const runflowRunKind: JobKind<RunflowClient, RunflowRun> = {
 *   provider: 'runflow', kind: 'run', operation: 'GET /v1/runs/{id}', idParam: 'id',
 *   paramRules, parseError: parseRunflowError,
 *   read: ({ client, signal, call }, id) => call(client.GET('/v1/runs/{id}', { params: { path: { id } }, signal })),
 *   status: { field: 'status_code', table: runflowRunStatusTable },
 *   progress: { completed: 'nodes_completed', total: 'nodes_total' },
 * };
 */
export interface JobKind<TClient, TRaw, TItem = never, TOptions extends object = {}> {
  /** The provider, e.g. `'runflow'`. */
  readonly provider: ProviderName;
  /** The kind of job, e.g. `'batch'`. */
  readonly kind: string;
  /**
   * The spec operation that reads one status, `"<METHOD> <path>"` (`'GET /v1/batches/{id}'`): its
   * `idParam` is checked against `paramRules` before any request, and `status.field` of its response
   * is where the spec's status enum is.
   */
  readonly operation: string;
  /** The id parameter of `operation`, e.g. `'id'`. */
  readonly idParam: string;
  /** The client's generated parameter rules. */
  readonly paramRules: ParamRules;
  /** The provider's error-body parser. */
  readonly parseError: ErrorBodyParser;
  /** HTTP requests one `read` sends, when more than one. Defaults to `1`. */
  readonly requestsPerPoll?: number;
  /** Reads the job once with the typed client (through `request.call`); resolves with the raw value snapshots keep. */
  read(request: KindRequest<TClient, TOptions>, id: string): Promise<TRaw>;
  /** The status field and table. */
  readonly status: KindStatus<TRaw>;
  /** The counts, as fields or computed. */
  readonly progress: KindProgress<TRaw> | ((raw: TRaw) => SnapshotInit<TRaw>['progress']);
  /** The timestamps. Defaults to none. */
  readonly timestamps?: KindTimestamps<TRaw>;
  /** Why the job failed, when it says; called for every snapshot. Defaults to none. */
  failure?(raw: TRaw, status: JobStatus, rawStatus: string): JobFailure | undefined;
  /** Asks the provider to cancel the job. Absent when it has no cancel. */
  cancel?(request: KindRequest<TClient, TOptions>, id: string): Promise<unknown>;
  /** How the job's results are paged. Absent when it has none. */
  // biome-ignore lint/suspicious/noExplicitAny: a page's body type is private to its results description
  readonly results?: KindResults<TClient, any, TItem, any>;
}

/** A count at `fields`: the sum of the finite numbers found (0 when none). */
function countAt(raw: unknown, fields: string | readonly string[] | undefined): number {
  if (fields === undefined) return 0;
  let sum = 0;
  for (const f of typeof fields === 'string' ? [fields] : fields) {
    const v = fieldAt(raw, f);
    // `Number.isFinite` is false for anything but a number (no coercion of '7').
    if (Number.isFinite(v)) sum += v as number;
  }
  return sum;
}

/** The value at dotted `path` of `value`, own properties only; `undefined` where a step is missing. */
export function fieldAt(value: unknown, path: string): unknown {
  let at = value;
  for (const key of path.split('.')) {
    at =
      at !== null && typeof at === 'object' && Object.hasOwn(at, key)
        ? (at as Record<string, unknown>)[key]
        : undefined;
  }
  return at;
}

/** The time at `path` as a snapshot carries it (see {@link KindTimestamps}), or `undefined`. */
function timeAt(raw: unknown, path: string): string | undefined {
  const v = fieldAt(raw, path);
  if (typeof v === 'string') return v || undefined;
  const ms = typeof v === 'number' && v > 0 ? (v < 1e11 ? v * 1000 : v) : Number.NaN;
  // Past 8.64e15 ms (the year 275760) a Date is invalid and toISOString throws; NaN is no time.
  return ms <= 8.64e15 ? new Date(ms).toISOString() : undefined;
}

function readStatus<TRaw, TItem>(kind: JobKind<unknown, TRaw, TItem, object>, raw: TRaw) {
  const { status } = kind;
  const rawStatus = statusOf(kind.provider, status.field, status.get ? status.get(raw) : fieldAt(raw, status.field));
  const mapped = lookupStatus<JobStatus>(status.table, rawStatus);
  return { rawStatus, status: status.refine ? status.refine(mapped, raw) : mapped };
}

/**
 * The {@link JobStatus} of a raw value of `kind`: its status field looked up in the table, then
 * refined. A body without a status string throws `InvalidResponseError` naming the field.
 */
export function statusFromKind<TRaw, TItem>(kind: JobKind<unknown, TRaw, TItem, object>, raw: TRaw): JobStatus {
  return readStatus(kind, raw).status;
}

/** The counts of a raw value of `kind`. */
export function progressFromKind<TRaw, TItem>(
  kind: JobKind<unknown, TRaw, TItem, object>,
  raw: TRaw,
): SnapshotInit<TRaw>['progress'] {
  const { progress } = kind;
  if (typeof progress === 'function') return progress(raw);
  const total = progress.total === undefined ? undefined : fieldAt(raw, progress.total);
  return {
    completed: countAt(raw, progress.completed),
    failed: countAt(raw, progress.failed),
    total: typeof total === 'number' ? total : null,
  };
}

/** Normalizes one raw value of `kind` into a {@link JobSnapshot}. */
export function snapshotFromKind<TRaw, TItem>(
  kind: JobKind<unknown, TRaw, TItem, object>,
  raw: TRaw,
  observedAt: number,
  id: string,
): JobSnapshot<TRaw> {
  const { status, rawStatus } = readStatus(kind, raw);
  const timestamps: JobTimestamps = {};
  for (const [name, fields] of Object.entries(kind.timestamps ?? {})) {
    // None found: `undefined`, which createSnapshot leaves out.
    timestamps[name as keyof JobTimestamps] = (typeof fields === 'string' ? [fields] : fields)
      .map((f) => timeAt(raw, f))
      .find(Boolean);
  }
  const failure = kind.failure?.(raw, status, rawStatus);
  return createSnapshot({
    provider: kind.provider,
    kind: kind.kind,
    id,
    status,
    rawStatus,
    progress: progressFromKind(kind, raw),
    timestamps,
    ...(failure ? { failure } : {}),
    observedAt,
    raw,
  });
}

/** Where the next page starts, as the pager passes it to a page read. */
export interface PageAt {
  /** The cursor of this page as the pager made it (`null` for the first page). */
  readonly cursor: string | null;
  /** Offset paging: the 0-based offset of the page's first item. */
  readonly offset: number;
  /** Page paging: the 0-based page number. */
  readonly page: number;
  /** Items wanted: the page size (offset paging: never past `maxOffset`). */
  readonly limit: number;
}

/** A page read as `more` sees it: where it started and how many items it brought. */
export interface PageCount extends PageAt {
  /** The items the page brought. */
  readonly count: number;
}

/**
 * How a job kind's results are paged, for `createResultPager`. The pager makes the cursors: the
 * offset of the next page (`'offset'`), its 0-based number (`'page'`), or the provider's own cursor
 * (`'cursor'`, from the `next` field). Whatever the style, a page brings at most `limit` items.
 */
export interface KindResults<TClient, TPage, TItem, TOptions extends object = {}> {
  /** The spec operation of a page, `"<METHOD> <path>"`, whose response holds the items. */
  readonly operation: string;
  /** How pages are addressed. */
  readonly paging: 'offset' | 'cursor' | 'page';
  /** Page size when the caller gives none. */
  readonly defaultPageSize: number;
  /** The largest page the provider serves. */
  readonly maxPageSize: number;
  /** Offset paging: the largest offset the provider accepts; no page starts after it. Defaults to none. */
  readonly maxOffset?: number;
  /** Reads one page with the typed client (through `request.call`). */
  read(request: KindRequest<TClient, TOptions>, id: string, at: PageAt): Promise<TPage>;
  /** The page's items: a field holding a list of objects, or read by a function. */
  readonly items: FieldPath<TPage> | ((page: TPage) => readonly TItem[]);
  /** Cursor paging: the field holding the next page's cursor (a missing or empty one ends the stream). */
  readonly next?: FieldPath<TPage>;
  /**
   * How many items the job has: read from the page, or `'job'`: the first page also reads the job
   * (one request more) and takes its progress total. Defaults to unknown.
   */
  readonly total?: 'job' | ((page: TPage) => number | null | undefined);
  /**
   * Offset and page paging: whether another page follows (`undefined`: not said). Defaults to: the
   * page brought items and the total, when known, is not reached.
   */
  more?(page: TPage, at: PageCount): boolean | undefined;
  /** How each item reads. Defaults to rows: every item `succeeded`, id and index = its position. */
  readonly item?: KindItem<TPage, TItem>;
}

/** How a results page's items read: status (field and table), id, index and failure. */
export interface KindItem<TPage, TItem> {
  /** The item's status field and its table. */
  readonly status: {
    /** The status field, e.g. `'status_code'`; named in shape errors. */
    readonly field: FieldPath<TItem>;
    /** Every documented item status and its `ItemStatus`; anything else is `unknown`. */
    readonly table: ItemStatusTable;
    /** Adjusts the table's answer from the item and its page (absent when normalizing an item alone). */
    refine?(status: ItemStatus, item: TItem, page: TPage | undefined): ItemStatus;
  };
  /** The item's id field; a missing or empty one is the item's position. Defaults to the position. */
  readonly id?: FieldPath<TItem>;
  /** The item's 0-based index field; anything but a number is its position. Defaults to the position. */
  readonly index?: FieldPath<TItem>;
  /** Why the item failed, when it says (and a default message for a failed item that does not). */
  failure?(item: TItem, status: ItemStatus): JobFailure | undefined;
}

/**
 * Normalizes one item of a results page at 0-based `position`. Without an item description every
 * item is a row: `succeeded`, id and index = its position.
 */
export function itemFromKind<TPage, TItem>(
  item: KindItem<TPage, TItem> | undefined,
  raw: TItem,
  position: number,
  page?: TPage,
): ResultItem<TItem> {
  if (!item) return { id: String(position), index: position, status: 'succeeded', raw };
  const { status: rule } = item;
  let status = lookupStatus<ItemStatus>(rule.table, fieldAt(raw, rule.field), rule.field);
  if (rule.refine) status = rule.refine(status, raw, page);
  const id = item.id === undefined ? undefined : fieldAt(raw, item.id);
  const index = item.index === undefined ? undefined : fieldAt(raw, item.index);
  const out: ResultItem<TItem> = {
    id: typeof id === 'string' && id !== '' ? id : String(position),
    index: typeof index === 'number' ? index : position,
    status,
    raw,
  };
  const failure = item.failure?.(raw, status);
  if (failure) out.failure = failure;
  return out;
}

/** `a`'s hints over `b`'s (`a` came from the earlier call), with the longer of the two waits. */
function mergeHints(a: PollHints, b: PollHints): PollHints {
  const merged: PollHints = { ...b, ...a };
  if (a.retryAfterMs !== undefined && b.retryAfterMs !== undefined) {
    merged.retryAfterMs = Math.max(a.retryAfterMs, b.retryAfterMs);
  }
  return merged;
}

/** @internal A request for one read, and the hints of its calls merged in call order. */
export function kindRequest<TClient, TOptions>(
  kind: Pick<JobKind<TClient, unknown>, 'provider' | 'parseError'>,
  client: TClient,
  options: TOptions,
  context: SourceContext,
): [KindRequest<TClient, TOptions>, () => PollHints] {
  const hints: PollHints[] = [];
  const request: KindRequest<TClient, TOptions> = {
    client,
    signal: context.signal,
    options,
    now: () => context.now(),
    async call(result) {
      // Stryker disable next-line ArithmeticOperator: any slot past the placeholder keeps the calls in order (the merge skips holes)
      const at = hints.push({}) - 1;
      const unwrapped = await unwrapApiResult(kind.provider, () => result, kind.parseError, context);
      hints[at] = unwrapped.hints;
      return unwrapped.data;
    },
  };
  return [request, () => hints.reduceRight((later, h) => mergeHints(h, later), {})];
}
