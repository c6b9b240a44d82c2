import type { ErrorBodyParser } from '@batchwatch/core/client-kit';

/**
 * Reads every error body Supermetrics documents: the standard envelope
 * `{ meta: { request_id }, error: { code, message, description } }`, RFC 9457 problem details
 * (`{ type, title, status, detail }`, older pages) and the bare `{ error: "STATUS_NOT_FOUND" }` 404.
 */
export const parseSupermetricsError: ErrorBodyParser = (body) => {
  if (body === null || typeof body !== 'object') {
    return typeof body === 'string' && body.trim() !== '' ? { message: body.trim().slice(0, 200) } : {};
  }
  const b = body as Record<string, unknown>;
  const out: ReturnType<ErrorBodyParser> = {};
  const meta = b.meta as Record<string, unknown> | undefined;
  if (meta && typeof meta.request_id === 'string') out.requestId = meta.request_id;
  if (typeof b.error === 'string') {
    out.code = b.error;
    out.message = b.error === 'STATUS_NOT_FOUND' ? 'query status not found (it may have expired)' : b.error;
    return out;
  }
  if (b.error !== null && typeof b.error === 'object') {
    const e = b.error as Record<string, unknown>;
    if (typeof e.code === 'string') out.code = e.code;
    const text = [e.message, e.description].filter((t) => typeof t === 'string' && t !== '').join(' ');
    if (text) out.message = text;
    return out;
  }
  // RFC 9457 problem details.
  if (typeof b.title === 'string') out.code = b.title;
  const detail = b.detail ?? b.title;
  if (typeof detail === 'string') out.message = detail;
  return out;
};
