import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type JobStatus, ValidationError } from '@batchwatch/core';
import { WebhookVerificationError } from '@batchwatch/core/webhooks';
import { describe, expect, it } from 'vitest';
import {
  type CheckWebhookEvent,
  checkWebhookNotification,
  signCheckWebhook,
  verifyCheckWebhook,
} from '../src/webhooks.js';

const SECRET = 'whsec_check_current_0123456789';
const OLD = 'whsec_check_previous_987654321';
const body = readFileSync(
  new URL('../../../specs/check/examples/webhook-batch-completed.json', import.meta.url),
  'utf8',
);
const T = 1_705_312_950;
const at = (seconds: number) => () => seconds * 1000;
// Computed with node:crypto over "{t}.{body}", independently of the WebCrypto code under test.
const v1 = (t: number, payload = body, secret = SECRET) =>
  createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
const header = (t: number, ...signatures: string[]) => ({
  'x-check-signature': `t=${t},${(signatures.length ? signatures : [v1(t)]).map((s) => `v1=${s}`).join(',')}`,
});

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    const e = error as WebhookVerificationError;
    for (const secret of [SECRET, OLD]) {
      expect(e.message).not.toContain(secret);
      expect(e.message).not.toContain(v1(T, body, secret));
    }
    return e.reason;
  }
  throw new Error('expected a WebhookVerificationError');
}

describe('verifyCheckWebhook', () => {
  it('should verify the spec example and return the typed event', async () => {
    const event = await verifyCheckWebhook(body, header(T), SECRET, { now: at(T + 10) });
    expect(event).toEqual(JSON.parse(body));
    expect(event.type).toBe('batch.completed');
  });

  it('should accept any matching v1 entry, ignore other schemes and take Headers or bytes', async () => {
    const headers = new Headers({ 'X-Check-Signature': `t=${T}, v0=abc, v1=${'0'.repeat(64)}, v1=${v1(T)}` });
    await expect(verifyCheckWebhook(Buffer.from(body), headers, SECRET, { now: at(T) })).resolves.toBeDefined();
    const upper = { 'X-CHECK-SIGNATURE': [`t=${T},v1=${v1(T).toUpperCase()}`] };
    await expect(verifyCheckWebhook(body, upper, SECRET, { now: at(T) })).resolves.toBeDefined();
  });

  it('should accept the old and the new secret during a rotation', async () => {
    const secrets = [SECRET, OLD];
    await expect(verifyCheckWebhook(body, header(T, v1(T, body, OLD)), secrets, { now: at(T) })).resolves.toBeDefined();
    await expect(verifyCheckWebhook(body, header(T), secrets, { now: at(T) })).resolves.toBeDefined();
    expect(await reason(verifyCheckWebhook(body, header(T, v1(T, body, OLD)), SECRET, { now: at(T) }))).toBe(
      'signature_mismatch',
    );
  });

  it('should reject a replayed or future timestamp outside the tolerance, also with a valid signature', async () => {
    const now = at(T + 301);
    expect(await reason(verifyCheckWebhook(body, header(T), SECRET, { now }))).toBe('timestamp_out_of_tolerance');
    await expect(verifyCheckWebhook(body, header(T), SECRET, { now: at(T + 300) })).resolves.toBeDefined();
    await expect(verifyCheckWebhook(body, header(T), SECRET, { now, toleranceSeconds: 600 })).resolves.toBeDefined();
    await expect(
      verifyCheckWebhook(body, header(T), SECRET, { now: at(T + 86_400 * 365), toleranceSeconds: Infinity }),
    ).resolves.toBeDefined();
    expect(await reason(verifyCheckWebhook(body, header(T), SECRET, { now: at(T - 400) }))).toBe(
      'timestamp_out_of_tolerance',
    );
    // Moving t forward to look fresh breaks the signature, which covers it.
    expect(await reason(verifyCheckWebhook(body, header(T + 301, v1(T)), SECRET, { now }))).toBe('signature_mismatch');
    await expect(verifyCheckWebhook(body, header(T), SECRET, { now })).rejects.toThrow(
      'the X-Check-Signature timestamp is 301 s old (tolerance 300 s)',
    );
  });

  it('should use the real clock by default', async () => {
    const t = Math.floor(Date.now() / 1000);
    await expect(verifyCheckWebhook(body, header(t), SECRET)).resolves.toBeDefined();
    expect(await reason(verifyCheckWebhook(body, header(t - 3600), SECRET))).toBe('timestamp_out_of_tolerance');
  });

  it('should reject a missing, malformed or wrong signature with its reason', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'missing_signature'],
      [{ 'x-check-signature': ' ' }, 'missing_signature'],
      [{ 'x-check-signature': v1(T) }, 'malformed_signature'],
      [{ 'x-check-signature': `v1=${v1(T)}` }, 'malformed_signature'],
      [{ 'x-check-signature': `t=${T}` }, 'malformed_signature'],
      [{ 'x-check-signature': `t=${T},v0=${v1(T)}` }, 'malformed_signature'],
      [{ 'x-check-signature': `t=abc,v1=${v1(T)}` }, 'malformed_signature'],
      [{ 'x-check-signature': `t=${T},t=${T},v1=${v1(T)}` }, 'malformed_signature'],
      [{ 'x-check-signature': `t=${T},v1=xyz` }, 'malformed_signature'],
      [{ 'x-check-signature': `t=${T},v1` }, 'malformed_signature'],
      [header(T, 'ab'), 'signature_mismatch'],
      [header(T, v1(T, `${body} `)), 'signature_mismatch'],
      [header(T, v1(T, body, 'whsec_wrong')), 'signature_mismatch'],
    ];
    for (const [headers, expected] of cases) {
      expect(await reason(verifyCheckWebhook(body, headers, SECRET, { now: at(T) }))).toBe(expected);
    }
  });

  it('should reject a correctly signed body that is not an event', async () => {
    for (const bad of ['nope', '"x"', '{"id":"evt_1","type":"batch.completed","createdAt":"x"}']) {
      const headers = { 'x-check-signature': `t=${T},v1=${v1(T, bad)}` };
      expect(await reason(verifyCheckWebhook(bad, headers, SECRET, { now: at(T) }))).toBe('malformed_body');
    }
  });

  it('should refuse bad options', async () => {
    await expect(verifyCheckWebhook(body, header(T), '', { now: at(T) })).rejects.toBeInstanceOf(ValidationError);
    await expect(verifyCheckWebhook(body, header(T), SECRET, { toleranceSeconds: -1 })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe('signCheckWebhook', () => {
  it('should produce the header node:crypto computes', async () => {
    expect(await signCheckWebhook(body, SECRET, { timestamp: T })).toBe(`t=${T},v1=${v1(T)}`);
    await expect(signCheckWebhook(body, SECRET, { timestamp: 1.5 })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('checkWebhookNotification', () => {
  const event = (type: string, data: Record<string, unknown>): CheckWebhookEvent => ({
    id: 'evt_1',
    type,
    createdAt: '2024-01-15T10:02:31Z',
    data,
  });

  it('should turn batch.completed and batch.failed into notifications with the batch status', () => {
    const cases: Array<[string, Record<string, unknown>, JobStatus | undefined]> = [
      ['batch.completed', { id: 'batch_a', status: 'completed', successCount: 5, failureCount: 0 }, 'succeeded'],
      [
        'batch.completed',
        { batchId: 'batch_a', status: 'completed', successCount: 3, failureCount: 2 },
        'partially_succeeded',
      ],
      ['batch.completed', { id: 'batch_a', status: 'completed', successCount: 0, failureCount: 5 }, 'failed'],
      ['batch.completed', { id: 'batch_a' }, 'succeeded'],
      ['batch.failed', { id: 'batch_a', status: 'failed' }, 'failed'],
      ['batch.failed', { id: 'batch_a' }, 'failed'],
      ['batch.completed', { id: 'batch_a', status: 'exotic' }, undefined],
    ];
    for (const [type, data, status] of cases) {
      expect(checkWebhookNotification(event(type, data))).toEqual({
        provider: 'check',
        kind: 'batch',
        id: 'batch_a',
        ...(status && { status }),
      });
    }
    expect(checkWebhookNotification(JSON.parse(body) as CheckWebhookEvent)).toEqual({
      provider: 'check',
      kind: 'batch',
      id: 'batch_abc123def456',
      status: 'partially_succeeded',
    });
  });

  it('should return undefined for other events and for a batch event without an id', () => {
    expect(checkWebhookNotification(event('verification.completed', { id: 'ver_1' }))).toBeUndefined();
    expect(checkWebhookNotification(event('usage.limit.warning', {}))).toBeUndefined();
    expect(checkWebhookNotification(event('batch.cancelled', { id: 'batch_a' }))).toBeUndefined();
    expect(checkWebhookNotification(event('batch.completed', {}))).toBeUndefined();
    expect(checkWebhookNotification(event('constructor', { id: 'batch_a' }))).toBeUndefined();
  });
});
