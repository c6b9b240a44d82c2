import type { ErrorBodyParser } from '@batchwatch/core/client-kit';

/**
 * Reads Check's error bodies: `{ error: { code, message, details, requestId, retryAfter } }` and the
 * flat `{ error: "File parsing failed", validationErrors }` the upload endpoint sends.
 */
export const parseCheckError: ErrorBodyParser = (body) => {
  if (body === null || typeof body !== 'object') {
    return typeof body === 'string' && body.trim() !== '' ? { message: body.trim().slice(0, 200) } : {};
  }
  const b = body as Record<string, unknown>;
  const out: ReturnType<ErrorBodyParser> = {};
  if (typeof b.error === 'string') {
    out.message = b.error;
    return out;
  }
  const e = (b.error !== null && typeof b.error === 'object' ? b.error : b) as Record<string, unknown>;
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.message === 'string') out.message = e.message;
  if (typeof e.requestId === 'string') out.requestId = e.requestId;
  return out;
};
