import { BatchwatchError } from './errors.js';
import { type HandleOwner, JOB_HANDLE_VERSION, type JobHandle, stateFromHandle } from './handle-format.js';
import type { PollState } from './internal/step.js';

/** A {@link JobHandle} that this version cannot read (newer `v`, unknown fields, wrong types). */
export class InvalidHandleError extends BatchwatchError {
  override name = 'InvalidHandleError';
}

const FIELDS: Record<keyof JobHandle, (value: unknown) => boolean> = {
  v: (x) => x === 1,
  provider: (x) => typeof x === 'string' && x !== '',
  kind: (x) => typeof x === 'string' && x !== '',
  id: (x) => typeof x === 'string' && x !== '',
  nextPollAt: Number.isFinite,
  attempt: isCount,
  startedAt: Number.isFinite,
  deadline: (x) => x === null || Number.isFinite(x),
  unchanged: (x) => x === undefined || isCount(x),
  errors: (x) => x === undefined || isCount(x),
  sig: (x) => x === undefined || typeof x === 'string',
  fraction: (x) => x === undefined || (typeof x === 'number' && x >= 0 && x <= 1),
  origin: (x) => x === undefined || Number.isFinite(x),
  eta: (x) => x === undefined || (Array.isArray(x) && x.length === 6 && x.every(Number.isFinite) && isCount(x[5])),
};

function isCount(x: unknown): boolean {
  return Number.isInteger(x) && (x as number) >= 0;
}

/**
 * Reads a {@link JobHandle} from JSON text or a parsed value and checks every field. With `owner`
 * (e.g. the source you will poll it with), also checks that provider and kind match.
 * Throws {@link InvalidHandleError} for a newer `v`, missing or unknown fields, wrong types or a mismatch.
 */
export function parseJobHandle(json: string | unknown, owner?: HandleOwner): JobHandle {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new InvalidHandleError('job handle is not valid JSON', { cause: error });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidHandleError('job handle must be a JSON object');
  }
  const record = value as Record<string, unknown>;
  const v = record.v;
  if (typeof v === 'number' && Number.isInteger(v) && v > JOB_HANDLE_VERSION) {
    throw new InvalidHandleError(
      `handle version ${v} is newer than this @batchwatch/core understands (${JOB_HANDLE_VERSION}); upgrade @batchwatch/core`,
    );
  }
  for (const key of Object.keys(record)) {
    if (!Object.hasOwn(FIELDS, key)) throw new InvalidHandleError(`job handle has an unknown field "${key}"`);
  }
  for (const [key, check] of Object.entries(FIELDS)) {
    if (!check(record[key])) {
      const what = record[key] === undefined ? 'is missing' : `has an invalid value (${typeof record[key]})`;
      throw new InvalidHandleError(`job handle field "${key}" ${what}`);
    }
  }
  const handle = record as unknown as JobHandle;
  if (owner && (handle.provider !== owner.provider || handle.kind !== owner.kind)) {
    throw new InvalidHandleError(
      `job handle is for ${handle.provider} ${handle.kind}, but the source is ${owner.provider} ${owner.kind}`,
    );
  }
  return handle;
}

/** @internal Parses `handle` for `source` into where a resumed watch starts (throws `InvalidHandleError`). */
export function resumeFrom(handle: JobHandle | string, source: HandleOwner): { id: string; state: PollState } {
  const h = parseJobHandle(handle, source);
  return { id: h.id, state: stateFromHandle(h) };
}
