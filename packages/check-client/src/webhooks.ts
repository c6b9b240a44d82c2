/**
 * `@batchwatch/check-client/webhooks`: verify Check webhook deliveries (`t=...,v1=...`
 * HMAC-SHA256, constant time, secret rotation, replay tolerance) and turn them into a
 * `JobNotification` for `watch.notify` / `scheduler.notify`. `signCheckWebhook` signs bodies for
 * tests and mocks.
 *
 * @module
 */
import { type JobNotification, type JobStatus, ValidationError } from '@batchwatch/core';
import {
  getWebhookHeader,
  hmacSha256Hex,
  matchesHmacSha256Hex,
  parseWebhookBody,
  resolveWebhookSecrets,
  type WebhookBody,
  type WebhookHeaders,
  WebhookVerificationError,
  webhookBodyBytes,
} from '@batchwatch/core/webhooks';
import type { components } from './generated/schema.gen.js';
import { CHECK, checkBatchEventTable, checkBatchStatus } from './vocabulary.js';

/** The envelope of every Check webhook delivery. */
export type CheckWebhookEvent = components['schemas']['WebhookEvent'];
/** The `data` of `batch.completed` and `batch.failed` events. */
export type CheckWebhookBatchData = components['schemas']['WebhookBatchEventData'];

/** The header carrying the webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const CHECK_SIGNATURE_HEADER = 'X-Check-Signature';

/** Options of {@link verifyCheckWebhook}. */
export interface CheckWebhookVerifyOptions {
  /**
   * How far the signed timestamp `t` may be from now, in seconds, either way: older deliveries are
   * rejected as replays. `Infinity` turns the check off. Defaults to `300`.
   */
  toleranceSeconds?: number;
  /** The current time in ms, for tests. Defaults to `Date.now`. */
  now?: () => number;
}

/** The signed parts of an `X-Check-Signature` header. */
interface ParsedSignature {
  timestamp: number;
  signatures: string[];
}

const HEX = /^[0-9a-fA-F]+$/;

function parseSignature(header: string): ParsedSignature | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,15}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX.test(value)) return undefined;
      signatures.push(value.toLowerCase());
    }
    // Other schemes (a future v2, Stripe's v0) are ignored, as Stripe's verifiers do.
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

/** The bytes Check signs: `"{t}.{raw body}"`. */
function signedPayload(timestamp: number, rawBody: WebhookBody): Uint8Array<ArrayBuffer> {
  const prefix = new TextEncoder().encode(`${timestamp}.`);
  const body = webhookBodyBytes(rawBody);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

/**
 * Verifies a Check webhook and returns the parsed event. `X-Check-Signature` is
 * `t=<unix seconds>,v1=<hex>` (several `v1` entries allowed); `v1` must be the hex HMAC-SHA256 of
 * `"{t}.{raw body}"` with one of `secret` (pass the old and the new secret while rotating), compared
 * in constant time (WebCrypto: Node >= 20, edge runtimes, browsers), and `t` must be within
 * `toleranceSeconds` of now, so a captured delivery cannot be replayed later.
 *
 * Throws `WebhookVerificationError` with `reason` `'missing_signature'`, `'malformed_signature'`,
 * `'signature_mismatch'`, `'timestamp_out_of_tolerance'` or `'malformed_body'` (answer 400); its
 * message never contains a secret or the expected signature. Throws `ValidationError` for an empty
 * secret or a bad tolerance.
 *
 * @see specs/check/openapi.yaml `webhooks.checkWebhook`
 * @example
 * const event = await verifyCheckWebhook(rawBody, req.headers, process.env.CHECK_WEBHOOK_SECRET!);
 * const notification = checkWebhookNotification(event);
 * if (notification) scheduler.notify(notification);
 */
export async function verifyCheckWebhook(
  rawBody: WebhookBody,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: CheckWebhookVerifyOptions = {},
): Promise<CheckWebhookEvent> {
  const secrets = resolveWebhookSecrets(secret, 'secret');
  const { toleranceSeconds = 300, now = Date.now } = options;
  if (typeof toleranceSeconds !== 'number' || Number.isNaN(toleranceSeconds) || toleranceSeconds < 0) {
    throw new ValidationError('toleranceSeconds', 'a number >= 0 (or Infinity)', {
      received: String(toleranceSeconds),
    });
  }
  const header = getWebhookHeader(headers, CHECK_SIGNATURE_HEADER)?.trim();
  if (header === undefined || header === '') {
    throw new WebhookVerificationError('missing_signature', `the ${CHECK_SIGNATURE_HEADER} header is missing`);
  }
  const parsed = parseSignature(header);
  if (!parsed) {
    throw new WebhookVerificationError(
      'malformed_signature',
      `the ${CHECK_SIGNATURE_HEADER} header is not t=<unix seconds>,v1=<hex>`,
    );
  }
  if (!(await matchesHmacSha256Hex(signedPayload(parsed.timestamp, rawBody), parsed.signatures, secrets))) {
    throw new WebhookVerificationError(
      'signature_mismatch',
      `no v1 signature of the ${CHECK_SIGNATURE_HEADER} header matches the body with ${secrets.length === 1 ? 'the secret' : `any of the ${secrets.length} secrets`}`,
    );
  }
  const skew = now() / 1000 - parsed.timestamp;
  if (Math.abs(skew) > toleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_out_of_tolerance',
      `the ${CHECK_SIGNATURE_HEADER} timestamp is ${Math.round(Math.abs(skew))} s ${skew > 0 ? 'old' : 'in the future'} (tolerance ${toleranceSeconds} s): a replay or a wrong clock`,
    );
  }
  const event = parseWebhookBody<CheckWebhookEvent>(rawBody, 'Check webhook', ['id', 'type', 'createdAt']);
  if (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data)) {
    throw new WebhookVerificationError('malformed_body', 'Check webhook: the body lacks the object field data');
  }
  return event;
}

/**
 * Signs a webhook body the way Check does and returns the `X-Check-Signature` value
 * `t=<timestamp>,v1=<hex>`. For tests and mock servers.
 */
export async function signCheckWebhook(
  rawBody: WebhookBody,
  secret: string,
  options: { /** Unix seconds. Defaults to now. */ timestamp?: number } = {},
): Promise<string> {
  const key = resolveWebhookSecrets(secret, 'secret')[0] as string;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(timestamp) || timestamp < 0) {
    throw new ValidationError('timestamp', 'an integer >= 0 (Unix seconds)', { received: String(timestamp) });
  }
  return `t=${timestamp},v1=${await hmacSha256Hex(key, signedPayload(timestamp, rawBody))}`;
}

/**
 * The core notification for a verified `batch.completed` or `batch.failed` event: `{ provider:
 * 'check', kind: 'batch', id, status }`, the id from `data.batchId` or `data.id`, and the status as
 * {@link checkBatchStatus} reads it (`completed` with failures is `partially_succeeded`). Returns
 * `undefined` for other events and for a batch event without an id. Check sends no
 * `batch.cancelled` event: a cancelled batch is only seen by polling.
 */
export function checkWebhookNotification(event: CheckWebhookEvent): JobNotification | undefined {
  const fallback = Object.hasOwn(checkBatchEventTable, event.type)
    ? checkBatchEventTable[event.type as keyof typeof checkBatchEventTable]
    : undefined;
  if (!fallback) return undefined;
  const data = event.data as CheckWebhookBatchData;
  const id = typeof data.batchId === 'string' && data.batchId ? data.batchId : data.id;
  if (typeof id !== 'string' || id === '') return undefined;
  const status: JobStatus = checkBatchStatus({
    status: typeof data.status === 'string' ? data.status : fallback,
    successCount: data.successCount,
    failureCount: data.failureCount,
  });
  const notification: JobNotification = { provider: CHECK, kind: 'batch', id };
  if (status !== 'unknown') notification.status = status;
  return notification;
}
