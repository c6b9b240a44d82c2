// Planning one `--job`: the operation it names, its id parameter, the status field and its
// documented values (statuses.ts), the counts (counts.ts), the timestamps, the failure and cancel.
import { findProgress, type PlannedProgress } from './counts.js';
import {
  CodegenError,
  deref,
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
import { type MappedStatus, statusByName, statusFieldOf } from './statuses.js';

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

/**
 * Timestamp fields of a response that core can read (ISO strings, or numbers: Unix time), by role,
 * or the names of time-like fields it cannot. A job ends in one of several fields at some providers
 * (OpenAI's `completed_at`, `failed_at`, `cancelled_at`, `expired_at`): `finishedAt` lists them all.
 */
function findTimestamps(spec: Json, schema: Json): { fields: Record<string, string[]>; skipped: string[] } {
  const fields: Record<string, string[]> = {};
  const skipped: string[] = [];
  const suffix = '(_at|At|_time|Time)';
  const roles: Array<[string, RegExp]> = [
    ['createdAt', new RegExp(`^(created|submitted)${suffix}?$`)],
    ['startedAt', new RegExp(`^(started|in_progress|start)${suffix}$`)],
    ['finishedAt', new RegExp(`^(completed|finished|ended|end|done|failed|errored|cancell?ed|expired)${suffix}$`)],
  ];
  for (const [name, s] of properties(spec, schema)) {
    const role = roles.find(([, re]) => re.test(name))?.[0];
    if (!role) continue;
    const types = schemaTypes(spec, s);
    if (!types.has('string') && !types.has('integer') && !types.has('number')) skipped.push(name);
    else if (role === 'finishedAt' || fields[role] === undefined) fields[role] = [...(fields[role] ?? []), name];
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
  /** Timestamp fields (ISO strings or Unix times) by role, and time-like fields of another type. */
  readonly timestamps: { fields: Record<string, string[]>; skipped: string[] };
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
  const { field, statuses } = statusFieldOf(spec, schema, statusField, name, responseStatus);
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
