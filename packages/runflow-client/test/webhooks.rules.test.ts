// Runflow callback verification at its edges: the signature header's exact form, what a mismatch is
// told, the fields a callback must carry, and the key a signer is given. Signatures are computed
// with node:crypto, independently of the WebCrypto code under test.
import { createHmac } from 'node:crypto';
import { WebhookVerificationError } from '@batchwatch/core/webhooks';
import { describe, expect, it } from 'vitest';
import {
  RUNFLOW_SIGNATURE_HEADER,
  runflowCallbackNotification,
  signRunflowCallback,
  verifyRunflowCallback,
} from '../src/webhooks.js';

const SECRET = 'whsec_rules_abcdef';
const body = '{"event":"batch.failed","batch_id":"b1","status":"failed"}';
const sign = (payload: string, secret = SECRET) => createHmac('sha256', secret).update(payload).digest('hex');

async function verdict(headers: Record<string, string>, secrets: string | string[] = SECRET, payload = body) {
  try {
    await verifyRunflowCallback(payload, headers, secrets);
    return 'ok';
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    return `${error.reason}: ${error.message}`;
  }
}

describe('verifyRunflowCallback', () => {
  it('should read the Runflow-Signature header', () => {
    expect(RUNFLOW_SIGNATURE_HEADER).toBe('Runflow-Signature');
  });

  it('should take exactly 64 hex characters, in either case, with spaces around', async () => {
    expect(await verdict({ 'Runflow-Signature': sign(body) })).toBe('ok');
    expect(await verdict({ 'runflow-signature': `\t${sign(body).toUpperCase()} ` })).toBe('ok');
    const malformed = 'malformed_signature: the Runflow-Signature header is not 64 hex characters';
    expect(await verdict({ 'runflow-signature': `${sign(body)}0` })).toBe(malformed);
    expect(await verdict({ 'runflow-signature': `x${sign(body)}` })).toBe(malformed);
    expect(await verdict({ 'runflow-signature': `${sign(body).slice(0, 63)}x` })).toBe(malformed);
  });

  it('should say the header is missing when it is absent or blank', async () => {
    const missing = 'missing_signature: the Runflow-Signature header is missing';
    expect(await verdict({})).toBe(missing);
    expect(await verdict({ 'runflow-signature': '  ' })).toBe(missing);
  });

  it('should say how many secrets it tried when none matches', async () => {
    const other = { 'runflow-signature': sign(body, 'someone_else') };
    expect(await verdict(other)).toBe(
      'signature_mismatch: the Runflow-Signature header does not match the body with the secret',
    );
    expect(await verdict(other, [SECRET, 'old_one', 'older_one'])).toBe(
      'signature_mismatch: the Runflow-Signature header does not match the body with any of the 3 secrets',
    );
  });

  it('should need event and batch_id as strings in a signed body', async () => {
    const payload = '{"event":"batch.failed"}';
    expect(await verdict({ 'runflow-signature': sign(payload) }, SECRET, payload)).toBe(
      'malformed_body: Runflow callback: the body lacks string field(s) batch_id',
    );
    const noEvent = '{"batch_id":"b1"}';
    expect(await verdict({ 'runflow-signature': sign(noEvent) }, SECRET, noEvent)).toBe(
      'malformed_body: Runflow callback: the body lacks string field(s) event',
    );
  });
});

describe('signRunflowCallback', () => {
  it('should refuse an empty secret, naming the option', async () => {
    await expect((async () => signRunflowCallback(body, ''))()).rejects.toThrow(
      'invalid secret[0]: expected a non-empty string',
    );
  });

  it('should sign the exact bytes with the secret', async () => {
    expect(await signRunflowCallback(body, 'k2')).toBe(sign(body, 'k2'));
  });
});

describe('runflowCallbackNotification', () => {
  it("should take the batch's own status over the event name", () => {
    expect(runflowCallbackNotification({ event: 'batch.succeeded', batch_id: 'b1', status: 'failed' })).toEqual({
      provider: 'runflow',
      kind: 'batch',
      id: 'b1',
      status: 'failed',
    });
  });

  it('should read every event name when the status is missing', () => {
    for (const [event, status] of [
      ['batch.succeeded', 'succeeded'],
      ['batch.partial_succeeded', 'partially_succeeded'],
      ['batch.failed', 'failed'],
      ['batch.cancelled', 'cancelled'],
      ['batch.canceled', 'cancelled'],
    ]) {
      expect(runflowCallbackNotification({ event, batch_id: 'b1' } as never).status).toBe(status);
    }
  });
});
