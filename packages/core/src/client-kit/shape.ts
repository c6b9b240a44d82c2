import { InvalidResponseError } from '../errors.js';
import { describeKind } from '../internal/lookup.js';

/**
 * The {@link InvalidResponseError} for a field of a provider body that does not have its documented
 * shape: `"<provider> sent <field> as <what it was>, expected <expected>"` (`"sent no <field>"` when
 * absent). The value itself is not put in the message.
 */
export function shapeError(provider: string, field: string, value: unknown, expected: string): InvalidResponseError {
  const got = value === undefined ? `no ${field}` : `${field} as ${describeKind(value)}`;
  return new InvalidResponseError(`${provider} sent ${got}, expected ${expected}`);
}

/**
 * The status field of a job body, for `mapStatus`: a string, returned as it is. Anything else
 * (absent, `null`, an object) throws {@link InvalidResponseError} naming `field`: a body without a
 * status cannot be polled, so it counts as an unreadable body (transient, it spends the error
 * budget) rather than as an `unknown` status polled forever.
 */
export function statusOf(provider: string, field: string, value: unknown): string {
  if (typeof value !== 'string') throw shapeError(provider, field, value, 'a status string');
  return value;
}

/**
 * A list of objects in a provider body (a page's items or rows): absent or `null` is an empty list;
 * a list that is not an array, or holds anything but objects (`null`, a string), throws
 * {@link InvalidResponseError} naming `field` or `field[i]`.
 */
export function objectList<T>(provider: string, field: string, value: readonly T[] | null | undefined): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw shapeError(provider, field, value, 'an array of objects');
  value.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw shapeError(provider, `${field}[${i}]`, item, 'an object');
    }
  });
  return value;
}
