// A job's counts: the number fields of its response that say how many items ended, failed and are
// in the job, guessed from their names.
import { type Json, properties, schemaTypes } from './spec.js';

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
export function findProgress(spec: Json, schema: Json): PlannedProgress | undefined {
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
