// A job's status: the status field of its response, and what each documented value's name makes
// obvious (`completed` -> `succeeded`; `expired` is left to the user).
import { CodegenError, enumValues, fieldSchema, type Json, printable, properties, schemaTypes } from './spec.js';

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

/**
 * The status field of an operation's response (`given` with `--status-field`, else found) and its
 * documented values; throws {@link CodegenError} for a field the response lacks, none found, or one
 * that is not a string (naming the fields it has, and `--status-field`).
 */
export function statusFieldOf(
  spec: Json,
  schema: Json,
  given: string | undefined,
  operation: string,
  responseStatus: string,
): { field: string; statuses: string[] } {
  const top = properties(spec, schema).map(([n]) => n);
  let field = given;
  if (field !== undefined) {
    if (!/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/.test(field) || !fieldSchema(spec, schema, field)) {
      throw new CodegenError(
        `--status-field "${printable(field)}": the ${responseStatus} response of ${operation} has no such field (its fields: ${top.join(', ') || 'none'})`,
      );
    }
  } else {
    field = findStatusField(spec, schema);
    if (field === undefined) {
      throw new CodegenError(
        `${operation}: found no status-like field in its ${responseStatus} response. Looked at string fields named ${STATUS_FIELD_NAMES.join(', ')} or ending in _status/Status/_state/State, at the top and one level down; the response has: ${top.join(', ') || 'no fields'}. Name the field with --status-field <field> (dotted for a nested one, e.g. --status-field data.status)`,
      );
    }
  }
  const fieldNode = fieldSchema(spec, schema, field) ?? {};
  const types = schemaTypes(spec, fieldNode);
  if (types.size > 0 && !types.has('string')) {
    throw new CodegenError(
      `${operation}: the status field ${field} is ${[...types].join(' or ')}, but a job's status is read as a string; name a string field with --status-field`,
    );
  }
  return { field, statuses: enumValues(spec, fieldNode) };
}
