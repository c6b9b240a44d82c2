/**
 * `@batchwatch/core/webhooks`: the building blocks of provider webhook verification (raw body
 * bytes, header lookup, HMAC-SHA256 with WebCrypto, constant-time comparison, secret rotation).
 * The client packages build their `verify*Webhook` functions from these.
 *
 * @module
 */
import { BatchwatchError, ValidationError } from '../errors.js';

/** Why a webhook or callback was rejected by {@link WebhookVerificationError}. */
export type WebhookVerificationReason =
  | 'missing_signature'
  | 'malformed_signature'
  | 'signature_mismatch'
  | 'timestamp_out_of_tolerance'
  | 'malformed_body';

/**
 * A webhook or callback failed verification (`verifyRunflowCallback`, `verifyCheckWebhook`):
 * answer it with 400 and do not act on it. The message never contains a secret or the expected
 * signature.
 */
export class WebhookVerificationError extends BatchwatchError {
  override name = 'WebhookVerificationError';
  /** What was wrong: no signature header, an unreadable one, no secret matching, a stale timestamp, or a body that is not the event. */
  readonly reason: WebhookVerificationReason;
  constructor(reason: WebhookVerificationReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * A webhook request body exactly as received: the signature covers these bytes, so verify before
 * any JSON parsing or re-encoding. A string is encoded as UTF-8.
 */
export type WebhookBody = string | Uint8Array | ArrayBuffer;

/** Request headers: a Fetch API `Headers`, or Node's `IncomingMessage.headers` (any case, arrays for repeats). */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Reads a header case-insensitively. Repeated headers (an array in Node) are joined with `,`, as
 * `Headers.get` does. Returns `undefined` when it is absent.
 */
export function getWebhookHeader(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (typeof value === 'string') values.push(value);
    else values.push(...value);
  }
  return values.length === 0 ? undefined : values.join(',');
}

/** The body as bytes (a fresh copy, so WebCrypto never sees a shared or resizable buffer). */
export function webhookBodyBytes(body: WebhookBody): Uint8Array<ArrayBuffer> {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body)) {
    const copy = new Uint8Array(body.byteLength);
    copy.set(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    return copy;
  }
  throw new ValidationError('rawBody', 'a string, Uint8Array or ArrayBuffer', { received: typeof body });
}

/**
 * Checks a secret list for verifiers: one secret, or several while rotating (every one is tried).
 * Throws `ValidationError` (never naming the secret) for an empty list or an empty secret.
 */
export function resolveWebhookSecrets(secrets: string | readonly string[], field = 'secrets'): string[] {
  const list = typeof secrets === 'string' ? [secrets] : Array.isArray(secrets) ? [...secrets] : undefined;
  if (!list || list.length === 0) {
    throw new ValidationError(field, 'a non-empty secret or a non-empty array of them', {
      received: list ? 'an empty array' : typeof secrets,
    });
  }
  list.forEach((secret, i) => {
    if (typeof secret !== 'string' || secret === '') {
      throw new ValidationError(`${field}[${i}]`, 'a non-empty string', {
        received: typeof secret === 'string' ? 'an empty string' : typeof secret,
      });
    }
  });
  return list;
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s)
    throw new TypeError(
      'webhook verification needs WebCrypto (globalThis.crypto.subtle): Node >= 20, a browser or an edge runtime',
    );
  return s;
}

/** HMAC-SHA256 of `payload` keyed with `secret` (UTF-8), with WebCrypto. */
export async function hmacSha256(secret: string, payload: WebhookBody): Promise<Uint8Array> {
  const key = await subtle().importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    // Stryker disable next-line BooleanLiteral: whether the key could be exported changes nothing: it never leaves this function
    false,
    ['sign'],
  );
  return new Uint8Array(await subtle().sign('HMAC', key, webhookBodyBytes(payload)));
}

/** HMAC-SHA256 of `payload` keyed with `secret`, as lowercase hex (64 characters). */
export async function hmacSha256Hex(secret: string, payload: WebhookBody): Promise<string> {
  let hex = '';
  for (const byte of await hmacSha256(secret, payload)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Compares two byte arrays in time that depends only on their lengths: no early exit at the first
 * differing byte. Different lengths return `false` at once (a length is not a secret).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

function hexBytes(hex: string): Uint8Array | undefined {
  if (!HEX.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Whether any of `signatures` (hex) is HMAC-SHA256(secret, payload) for any of `secrets`. Every
 * pair is compared with {@link timingSafeEqual}, and every pair is always compared (no early
 * return), so the time taken says nothing about which secret or byte matched.
 */
export async function matchesHmacSha256Hex(
  payload: WebhookBody,
  signatures: readonly string[],
  secrets: readonly string[],
): Promise<boolean> {
  const bytes = webhookBodyBytes(payload);
  // A signature that is not hex matches nothing (the empty array differs in length).
  const given = signatures.map((s) => hexBytes(s) ?? new Uint8Array(0));
  let matched = false;
  for (const secret of secrets) {
    const expected = await hmacSha256(secret, bytes);
    for (const signature of given) if (timingSafeEqual(expected, signature)) matched = true;
  }
  return matched;
}

/**
 * Decodes a verified body as JSON and checks it is an object with `required` string fields;
 * otherwise throws `WebhookVerificationError` with reason `'malformed_body'`.
 */
export function parseWebhookBody<T>(body: WebhookBody, what: string, required: readonly string[]): T {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(webhookBodyBytes(body)));
  } catch (cause) {
    throw new WebhookVerificationError('malformed_body', `${what}: the body is not JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WebhookVerificationError('malformed_body', `${what}: the body is not a JSON object`);
  }
  const missing = required.filter((field) => typeof (value as Record<string, unknown>)[field] !== 'string');
  if (missing.length > 0) {
    throw new WebhookVerificationError(
      'malformed_body',
      `${what}: the body lacks string field(s) ${missing.join(', ')}`,
    );
  }
  return value as T;
}
