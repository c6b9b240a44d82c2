import { InvalidResponseError } from '../errors.js';

/** How a value looks, for error messages: `null`, `an array`, `an object`, `a string`, `a number`... */
export function describeKind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  const kind = Array.isArray(value) ? 'array' : typeof value;
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/**
 * A status table lookup: a missing, empty or undocumented raw status is `unknown`; a raw status
 * that is not a string (an object, a number) throws `InvalidResponseError` naming `field`.
 */
export function lookupStatus<T extends string>(
  table: Readonly<Record<string, T>>,
  raw: unknown,
  field = 'status',
): T | 'unknown' {
  if (raw === null || raw === undefined || raw === '') return 'unknown';
  if (typeof raw !== 'string')
    throw new InvalidResponseError(`the ${field} is ${describeKind(raw)}, expected a string`);
  return Object.hasOwn(table, raw) ? (table[raw] as T) : 'unknown';
}
