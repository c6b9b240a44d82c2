// Planning one `--job`: the operation it names, its id parameter, the status field and its
// documented values (each mapped by name where it is obvious), the counts, the failure and cancel.
import {
  CodegenError,
  deref,
  enumValues,
  fieldSchema,
  type Json,
  operation,
  operations,
  parameters,
  printable,
  properties,
  responseOf,
  type SpecOperation,
  schemaTypes,
} from './spec.js';

/** A normalized job status, as `@batchwatch/core` names them (`unknown` is never a table value). */
export type MappedStatus = 'queued' | 'running' | 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled';

/** Every status a table can map to, in lifecycle order. */
export const MAPPED_STATUSES: readonly MappedStatus[] = [
  'queued',
  'running',
  'succeeded',
  'partially_succeeded',
  'failed',
  'cancelled',
];

// Raw statuses whose meaning their name makes obvious. Anything else (`finalizing`, `expired`,
// `cancelling`, `paused`...) is left to the user: it could be running, failed or something else.
const OBVIOUS: Record<string, MappedStatus> = {};
for (const [status, names] of Object.entries({
  queued: 'queued pending validating submitted created scheduled waiting accepted not_started enqueued',
  running: 'in_progress running processing active started executing',
  succeeded: 'completed complete succeeded success successful done finished',
  partially_succeeded: 'partially_succeeded partial_succeeded partial_success partially_completed partially_complete',
  failed: 'failed failure error errored',
  cancelled: 'cancelled canceled',
} satisfies Record<MappedStatus, string>)) {
  for (const name of names.split(' ')) OBVIOUS[name] = status as MappedStatus;
}

/**
 * The {@link MappedStatus} a raw status's name makes obvious (case, `-` and spaces aside), or
 * `undefined` when it takes a decision: `completed` -> `succeeded`, `in_progress` -> `running`,
 * `canceled` -> `cancelled`, `validating` -> `queued`; `expired`, `finalizing`, `cancelling` -> `undefined`.
 */
export function statusByName(raw: string): MappedStatus | undefined {
  const key = raw
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return Object.hasOwn(OBVIOUS, key) ? OBVIOUS[key] : undefined;
}

/** A `--job` as given: an optional kind name and the operation. */
export interface JobArg {
  /** The kind name given before `=`, e.g. `batch` in `batch=GET /v1/batches/{id}`. */
  readonly name: string | undefined;
  /** Upper case. */
  readonly method: string;
  /** The path as given. */
  readonly path: string;
}

/** Parses `--job '[<kind>=]<METHOD> <path>'`; throws {@link CodegenError} naming the expected form. */
export function parseJobArg(text: string): JobArg {
  const m = /^\s*(?:([a-z][a-z0-9_-]*)\s*=\s*)?(get|post|put|patch|delete)\s+(\/\S*)\s*$/i.exec(text);
  if (!m) {
    throw new CodegenError(
      `--job "${printable(text)}": expected "<METHOD> <path>" as the spec names the status read, e.g. --job 'GET /v1/batches/{batch_id}' (or "<kind>=GET /v1/batches/{batch_id}" to name the kind)`,
    );
  }
  return { name: m[1]?.toLowerCase(), method: (m[2] ?? '').toUpperCase(), path: m[3] ?? '' };
}

/** The path prefix of the spec's first server URL (`/v1` of `https://api.openai.com/v1`), or `''`. */
export function serverPrefix(spec: Json): string {
  const url = spec.servers?.[0]?.url;
  if (typeof url !== 'string') return '';
  try {
    return new URL(url.replace(/\{[^}]*\}/g, 'x'), 'http://localhost').pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

/**
 * The operation a `--job` names: as the spec names it, or with the server URL's path prefix in
 * front (`GET /v1/batches/{id}` for a spec whose server is `https://api.example.com/v1`).
 */
export function findJobOperation(spec: Json, arg: JobArg, given: string): SpecOperation {
  const prefix = serverPrefix(spec);
  const found =
    operation(spec, arg.method, arg.path) ??
    (prefix && arg.path.startsWith(`${prefix}/`)
      ? operation(spec, arg.method, arg.path.slice(prefix.length))
      : undefined);
  if (found) return found;
  const reads = operations(spec)
    .filter((o) => o.method === 'GET' && /\{[^}]+\}/.test(o.path))
    .map((o) => `${o.method} ${o.path}`);
  const list =
    reads.length > 0
      ? `; status reads it has: ${reads.slice(0, 12).join(', ')}${reads.length > 12 ? ', ...' : ''}`
      : '';
  throw new CodegenError(
    `--job "${printable(given)}": the spec has no operation ${printable(`${arg.method} ${arg.path}`)}${list}`,
  );
}

/** Names tried, in order, for a status field. */
export const STATUS_FIELD_NAMES = [
  'status',
  'state',
  'status_code',
  'statusCode',
  'job_status',
  'jobStatus',
  'phase',
] as const;

const looksLikeStatus = (name: string) =>
  (STATUS_FIELD_NAMES as readonly string[]).includes(name) || /(_status|Status|_state|State)$/.test(name);

const isStringy = (spec: Json, schema: Json) => {
  const types = schemaTypes(spec, schema);
  return types.has('string') || types.size === 0;
};

/** The status field of a response: a status-like string field at the top, else one level down. */
function findStatusField(spec: Json, schema: Json): string | undefined {
  const rank = (name: string) => {
    const i = (STATUS_FIELD_NAMES as readonly string[]).indexOf(name);
    return i < 0 ? STATUS_FIELD_NAMES.length : i;
  };
  const pick = (fields: Array<[string, Json]>) =>
    fields
      .filter(([name, s]) => looksLikeStatus(name.split('.').at(-1) ?? name) && isStringy(spec, s))
      .sort(([a, sa], [b, sb]) => {
        const ea = enumValues(spec, sa).length > 0 ? 0 : 1;
        const eb = enumValues(spec, sb).length > 0 ? 0 : 1;
        return ea - eb || rank(a.split('.').at(-1) ?? a) - rank(b.split('.').at(-1) ?? b);
      })[0]?.[0];
  const top = properties(spec, schema);
  const found = pick(top);
  if (found) return found;
  const nested = top.flatMap(([name, s]) =>
    schemaTypes(spec, s).has('object') || properties(spec, s).length > 0
      ? properties(spec, s).map(([sub, ss]): [string, Json] => [`${name}.${sub}`, ss])
      : [],
  );
  return pick(nested);
}

/** A count the skeleton reads, guessed from field names. */
export interface PlannedProgress {
  /** Fields adding up to the items that ended. */
  readonly completed: readonly string[];
  /** Fields adding up to the failed (or cancelled) items. */
  readonly failed: readonly string[];
  /** The total field. */
  readonly total: string | undefined;
  /** What the guess assumed, for a comment. */
  readonly note: string;
}

const words = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

type CountRole = 'total' | 'done' | 'success' | 'failed' | 'cancelled';
const ROLE_WORDS: Record<CountRole, readonly string[]> = {
  total: ['total'],
  done: ['processed', 'done', 'finished', 'ended'],
  success: ['completed', 'succeeded', 'success', 'successful', 'successes'],
  failed: ['failed', 'failure', 'failures', 'errored'],
  cancelled: ['cancelled', 'canceled'],
};
// Counts of something other than items (tokens, money, time), and timestamps (`completed_at`).
const NOT_ITEMS = [
  'tokens',
  'token',
  'bytes',
  'seconds',
  'ms',
  'cost',
  'cents',
  'price',
  'size',
  'retries',
  'attempts',
  'at',
  'time',
  'date',
  'timestamp',
];
const TIME_FORMATS = ['unixtime', 'date-time', 'date', 'timestamp'];

function roleOf(name: string, schema: Json): CountRole | undefined {
  const w = words(name);
  if (w.some((x) => NOT_ITEMS.includes(x)) || TIME_FORMATS.includes(String(schema.format))) return undefined;
  for (const role of ['cancelled', 'failed', 'done', 'success', 'total'] as const) {
    if (w.some((x) => ROLE_WORDS[role].includes(x))) return role;
  }
  return undefined;
}

/** The counts of a response: the object (the top, or one level down) with the most count-like number fields. */
function findProgress(spec: Json, schema: Json): PlannedProgress | undefined {
  const groups: Array<{ prefix: string; fields: Array<[string, Json]> }> = [
    { prefix: '', fields: properties(spec, schema) },
  ];
  for (const [name, s] of properties(spec, schema)) {
    const sub = properties(spec, s);
    if (sub.length > 0) groups.push({ prefix: `${name}.`, fields: sub });
  }
  let best: { prefix: string; roles: Map<CountRole, string[]> } | undefined;
  let bestScore = 0;
  for (const group of groups) {
    const roles = new Map<CountRole, string[]>();
    for (const [name, s] of group.fields) {
      const types = schemaTypes(spec, s);
      if (!types.has('integer') && !types.has('number')) continue;
      const role = roleOf(name, s);
      if (role) roles.set(role, [...(roles.get(role) ?? []), `${group.prefix}${name}`]);
    }
    const counted = (roles.get('done')?.length ?? 0) + (roles.get('success')?.length ?? 0);
    const score = counted > 0 ? roles.size : 0;
    if (score > bestScore) {
      best = { prefix: group.prefix, roles };
      bestScore = score;
    }
  }
  if (!best) return undefined;
  const first = (role: CountRole) => best?.roles.get(role)?.[0];
  const failed = [first('failed'), first('cancelled')].filter((f): f is string => f !== undefined);
  const done = first('done');
  const success = first('success');
  const completed = done ? [done] : [success, ...failed].filter((f): f is string => f !== undefined);
  const note = done
    ? `\`${done}\` is taken to count every item that ended, failed ones included.`
    : `\`${success}\` is taken to count the items that succeeded, so the ones that ended are it${failed.length > 0 ? ` plus ${failed.map((f) => `\`${f}\``).join(' and ')}` : ''}.`;
  return { completed, failed, total: first('total'), note };
}

/** Timestamp fields of a response that core can read (ISO strings), or the names of those it cannot. */
function findTimestamps(spec: Json, schema: Json): { fields: Record<string, string>; skipped: string[] } {
  const fields: Record<string, string> = {};
  const skipped: string[] = [];
  const roles: Array<[string, RegExp]> = [
    ['createdAt', /^(created|submitted)(_at|At|_time|Time)?$/],
    ['startedAt', /^(started|in_progress|start)(_at|At|_time|Time)$/],
    ['finishedAt', /^(completed|finished|ended|end|done)(_at|At|_time|Time)$/],
  ];
  for (const [name, s] of properties(spec, schema)) {
    const role = roles.find(([, re]) => re.test(name))?.[0];
    if (!role) continue;
    if (schemaTypes(spec, s).has('string')) {
      if (fields[role] === undefined) fields[role] = name;
    } else skipped.push(name);
  }
  return { fields, skipped };
}

/** A string field that says why a job failed, at the top or under `error`. */
function findFailureMessage(spec: Json, schema: Json): string | undefined {
  for (const field of [
    'error_message',
    'errorMessage',
    'failure_reason',
    'failureReason',
    'error.message',
    'error',
    'message',
  ]) {
    const s = fieldSchema(spec, schema, field);
    if (s && schemaTypes(spec, s).has('string')) return field;
  }
  return undefined;
}

/** One job kind to generate. */
export interface PlannedJob {
  /** The kind name, e.g. `batch`. */
  readonly kind: string;
  /** The operation as the spec names it, e.g. `GET /batches/{batch_id}`. */
  readonly operation: string;
  /** Its method, upper case. */
  readonly method: string;
  /** Its path as the spec names it. */
  readonly path: string;
  /** The id path parameter. */
  readonly idParam: string;
  /** The id parameter's `pattern` in the spec, when it has one. */
  readonly idPattern: string | undefined;
  /** The 2xx status code of the response the raw type is. */
  readonly responseStatus: string;
  /** Its JSON content type, e.g. `application/json`. */
  readonly responseType: string;
  /** The status field (dotted). */
  readonly statusField: string;
  /** The documented statuses, in spec order (empty when the field has no enum). */
  readonly statuses: readonly string[];
  /** Each documented status and what its name makes obvious (`undefined`: a TODO). */
  readonly mapping: ReadonlyArray<readonly [raw: string, status: MappedStatus | undefined]>;
  /** The counts, when any were found. */
  readonly progress: PlannedProgress | undefined;
  /** Timestamp fields (ISO strings) by role, and time-like fields that are not strings. */
  readonly timestamps: { fields: Record<string, string>; skipped: string[] };
  /** A string field with the failure message, when there is one. */
  readonly failureMessage: string | undefined;
  /** The cancel operation (`POST <path>/cancel` or `POST <path>:cancel`) without a required body. */
  readonly cancel: SpecOperation | undefined;
  /** The create operation (`POST` of the parent path), when there is one. */
  readonly create: SpecOperation | undefined;
}

/** The kind name of an operation: its last literal path segment, singular (`/v1/batches/{id}` -> `batch`). */
function kindName(path: string): string {
  const literal = path.split('/').filter((s) => s !== '' && !s.startsWith('{'));
  const last = (literal.at(-1) ?? 'job').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
  if (/ies$/.test(last)) return last.replace(/ies$/, 'y');
  if (/(ches|shes|sses|xes)$/.test(last)) return last.slice(0, -2);
  if (/s$/.test(last) && !/ss$/.test(last)) return last.slice(0, -1);
  return last || 'job';
}

/** The operation that cancels the job at `path`, when it needs no request body. */
function findCancel(spec: Json, path: string): SpecOperation | undefined {
  // A DELETE of the job is not taken for a cancel: at many APIs it deletes the record.
  const candidates = [operation(spec, 'POST', `${path}/cancel`), operation(spec, 'POST', `${path}:cancel`)];
  return candidates.find((c) => c !== undefined && !c.op.requestBody?.required);
}

/**
 * Plans one `--job`: throws {@link CodegenError} for an operation the spec lacks, one without a single
 * path parameter or a 2xx JSON response, or a response with no status-like field (naming the fields
 * looked at, and `--status-field`).
 */
export function planJob(spec: Json, given: string, statusField?: string): PlannedJob {
  const arg = parseJobArg(given);
  const found = findJobOperation(spec, arg, given);
  const name = `${found.method} ${found.path}`;
  const pathParams = parameters(spec, found).filter((p) => p.in === 'path');
  const inPath = [...found.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
  const ids = inPath.length > 0 ? inPath : pathParams.map((p) => String(p.name));
  if (ids.length !== 1) {
    throw new CodegenError(
      `--job "${printable(given)}": ${name} has ${ids.length === 0 ? 'no path parameter' : `${ids.length} path parameters (${ids.join(', ')})`}; a job is read by one id in its path, e.g. GET /v1/batches/{batch_id}`,
    );
  }
  const { status: responseStatus, contentType: responseType, schema } = responseOf(spec, name);
  const idSchema = deref(spec, pathParams.find((p) => p.name === ids[0])?.schema);
  const idPattern = typeof idSchema?.pattern === 'string' ? idSchema.pattern : undefined;
  const top = properties(spec, schema).map(([n]) => n);
  let field = statusField;
  if (field !== undefined) {
    if (!/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/.test(field) || !fieldSchema(spec, schema, field)) {
      throw new CodegenError(
        `--status-field "${printable(field)}": the ${responseStatus} response of ${name} has no such field (its fields: ${top.join(', ') || 'none'})`,
      );
    }
  } else {
    field = findStatusField(spec, schema);
    if (field === undefined) {
      throw new CodegenError(
        `${name}: found no status-like field in its ${responseStatus} response. Looked at string fields named ${STATUS_FIELD_NAMES.join(', ')} or ending in _status/Status/_state/State, at the top and one level down; the response has: ${top.join(', ') || 'no fields'}. Name the field with --status-field <field> (dotted for a nested one, e.g. --status-field data.status)`,
      );
    }
  }
  const fieldNode = fieldSchema(spec, schema, field) ?? {};
  const types = schemaTypes(spec, fieldNode);
  if (types.size > 0 && !types.has('string')) {
    throw new CodegenError(
      `${name}: the status field ${field} is ${[...types].join(' or ')}, but a job's status is read as a string; name a string field with --status-field`,
    );
  }
  const statuses = enumValues(spec, fieldNode);
  const parent = found.path.replace(/\/\{[^}]+\}$/, '');
  const create = parent !== found.path ? operation(spec, 'POST', parent) : undefined;
  return {
    kind: arg.name ?? kindName(found.path),
    operation: name,
    method: found.method,
    path: found.path,
    idParam: ids[0] ?? 'id',
    idPattern,
    responseStatus,
    responseType,
    statusField: field,
    statuses,
    mapping: statuses.map((raw) => [raw, statusByName(raw)] as const),
    progress: findProgress(spec, schema),
    timestamps: findTimestamps(spec, schema),
    failureMessage: findFailureMessage(spec, schema),
    cancel: findCancel(spec, found.path),
    create,
  };
}
