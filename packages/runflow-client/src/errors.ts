import type { ErrorBodyParser } from '@batchwatch/core/client-kit';

/**
 * Reads Runflow's error bodies: the documented flat `{ code, message, errors }` and the nested
 * `{ error: { code, message } }` the official SDK also reads.
 */
export const parseRunflowError: ErrorBodyParser = (body) => {
  if (body === null || typeof body !== 'object') {
    return typeof body === 'string' && body.trim() !== '' ? { message: body.trim().slice(0, 200) } : {};
  }
  const b = body as Record<string, unknown>;
  const source = b.error !== null && typeof b.error === 'object' ? (b.error as Record<string, unknown>) : b;
  const out: ReturnType<ErrorBodyParser> = {};
  if (typeof source.code === 'string') out.code = source.code;
  if (typeof source.message === 'string') out.message = source.message;
  const requestId = source.request_id ?? b.request_id;
  if (typeof requestId === 'string') out.requestId = requestId;
  return out;
};
