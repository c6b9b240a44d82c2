import { ValidationError } from '../errors.js';
import type { JobSource } from '../source.js';

/** Checks the source and the id (type, then the source's own `validateId`) before any request. */
export function validateId(source: JobSource<unknown>, id: unknown): asserts id is string {
  if (typeof source !== 'object' || source === null || typeof source.fetchSnapshot !== 'function') {
    throw new ValidationError('source', 'a JobSource with fetchSnapshot()');
  }
  if (typeof id !== 'string' || id === '') {
    throw new ValidationError('id', 'a non-empty string', { received: typeof id === 'string' ? '""' : typeof id });
  }
  source.validateId?.(id);
}
