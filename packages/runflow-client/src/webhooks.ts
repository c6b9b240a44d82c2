/**
 * `@batchwatch/runflow-client/webhooks`: verify Runflow batch callbacks (HMAC-SHA256 of the raw
 * body, constant time, secret rotation) and turn them into a `JobNotification` for
 * `watch.notify` / `scheduler.notify`. `signRunflowCallback` signs bodies for tests and mocks.
 *
 * @module
 */
import type { JobNotification } from '@batchwatch/core';
import { mapStatus } from '@batchwatch/core/client-kit';
import {
  getWebhookHeader,
  hmacSha256Hex,
  matchesHmacSha256Hex,
  parseWebhookBody,
  resolveWebhookSecrets,
  type WebhookBody,
  type WebhookHeaders,
  WebhookVerificationError,
} from '@batchwatch/core/webhooks';
import type { components } from './generated/schema.gen.js';
import { RUNFLOW, runflowBatchStatusTable, runflowCallbackEventTable } from './vocabulary.js';

/** The body Runflow POSTs to a batch's `callback_url` when the batch reaches a terminal status. */
export type RunflowBatchCallbackEvent = components['schemas']['BatchCallbackEvent'];

/** The header carrying the callback signature: lowercase hex HMAC-SHA256(secret, raw body). */
export const RUNFLOW_SIGNATURE_HEADER = 'Runflow-Signature';

const SIGNATURE = /^[0-9a-fA-F]{64}$/;

/**
 * Verifies a Runflow batch callback and returns the parsed event. `Runflow-Signature` must be the
 * hex HMAC-SHA256 of the raw body with one of `secrets` (pass the old and the new secret while
 * rotating: both verify). Every secret is compared in constant time (WebCrypto, so Node >= 20,
 * edge runtimes and browsers). Runflow signs no timestamp, so a replayed callback verifies: make
 * the handler idempotent on `batch_id` (`scheduler.notify` is).
 *
 * Throws `WebhookVerificationError` with `reason` `'missing_signature'`, `'malformed_signature'`,
 * `'signature_mismatch'` or `'malformed_body'` (answer 400); its message never contains a secret
 * or the expected signature. Throws `ValidationError` when `secrets` is empty.
 *
 * @see specs/runflow/openapi.yaml `webhooks.batchCallback`
 * @example
 * const event = await verifyRunflowCallback(rawBody, req.headers, [process.env.RUNFLOW_CALLBACK_SECRET!]);
 * scheduler.notify(runflowCallbackNotification(event));
 */
export async function verifyRunflowCallback(
  rawBody: WebhookBody,
  headers: WebhookHeaders,
  secrets: string | readonly string[],
): Promise<RunflowBatchCallbackEvent> {
  const keys = resolveWebhookSecrets(secrets);
  const header = getWebhookHeader(headers, RUNFLOW_SIGNATURE_HEADER)?.trim();
  if (header === undefined || header === '') {
    throw new WebhookVerificationError('missing_signature', `the ${RUNFLOW_SIGNATURE_HEADER} header is missing`);
  }
  if (!SIGNATURE.test(header)) {
    throw new WebhookVerificationError(
      'malformed_signature',
      `the ${RUNFLOW_SIGNATURE_HEADER} header is not 64 hex characters`,
    );
  }
  if (!(await matchesHmacSha256Hex(rawBody, [header.toLowerCase()], keys))) {
    throw new WebhookVerificationError(
      'signature_mismatch',
      `the ${RUNFLOW_SIGNATURE_HEADER} header does not match the body with ${keys.length === 1 ? 'the secret' : `any of the ${keys.length} secrets`}`,
    );
  }
  return parseWebhookBody<RunflowBatchCallbackEvent>(rawBody, 'Runflow callback', ['event', 'batch_id']);
}

/**
 * Signs a callback body the way Runflow does: the value of `Runflow-Signature` (lowercase hex
 * HMAC-SHA256 of the exact bytes). For tests and mock servers.
 */
export function signRunflowCallback(rawBody: WebhookBody, secret: string): Promise<string> {
  return hmacSha256Hex(resolveWebhookSecrets(secret, 'secret')[0] as string, rawBody);
}

/**
 * The core notification for a verified batch callback: `{ provider: 'runflow', kind: 'batch', id:
 * batch_id, status }`, with `status` mapped through {@link runflowBatchStatusTable} (else from the
 * event name, e.g. `batch.succeeded`; left out when neither is known). Feed it to
 * `scheduler.notify` or `watch.notify` of a `runflowBatch` watch.
 */
export function runflowCallbackNotification(event: RunflowBatchCallbackEvent): JobNotification {
  const notification: JobNotification = { provider: RUNFLOW, kind: 'batch', id: event.batch_id };
  let status = mapStatus(runflowBatchStatusTable, event.status);
  if (status === 'unknown' && typeof event.event === 'string')
    status = mapStatus(runflowCallbackEventTable, event.event);
  if (status !== 'unknown') notification.status = status;
  return notification;
}
