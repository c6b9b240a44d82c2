import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type JobStatus, ValidationError } from '@batchwatch/core';
import { WebhookVerificationError } from '@batchwatch/core/webhooks';
import { describe, expect, it } from 'vitest';
import {
  type RunflowBatchCallbackEvent,
  runflowCallbackNotification,
  signRunflowCallback,
  verifyRunflowCallback,
} from '../src/webhooks.js';

const SECRET = 'whsec_current_0123456789abcdef';
const OLD = 'whsec_previous_fedcba9876543210';
const body = readFileSync(
  new URL('../../../specs/runflow/examples/batch-callback-event.json', import.meta.url),
  'utf8',
);
// Computed with node:crypto, independently of the WebCrypto code under test.
const sign = (payload: string | Buffer, secret = SECRET) => createHmac('sha256', secret).update(payload).digest('hex');

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    const e = error as WebhookVerificationError;
    expect(e.name).toBe('WebhookVerificationError');
    // The message never carries a secret or the signature that would have matched.
    for (const secret of [SECRET, OLD]) {
      expect(e.message).not.toContain(secret);
      expect(e.message).not.toContain(sign(body, secret));
    }
    return e.reason;
  }
  throw new Error('expected a WebhookVerificationError');
}

describe('verifyRunflowCallback', () => {
  it('should verify the spec example signed with the secret and return the typed event', async () => {
    const event = await verifyRunflowCallback(body, { 'runflow-signature': sign(body) }, SECRET);
    expect(event).toEqual(JSON.parse(body));
    expect(event.batch_id).toBe('0193b107-6a00-7c77-8d88-9eafb0c1d2e0');
  });

  it('should accept every body and header form: Buffer, Uint8Array views, ArrayBuffer, Headers, arrays, upper-case hex', async () => {
    const signature = sign(body);
    const bytes = Buffer.from(body);
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes, 4);
    const forms: Array<[Parameters<typeof verifyRunflowCallback>[0], Parameters<typeof verifyRunflowCallback>[1]]> = [
      [bytes, { 'Runflow-Signature': signature }],
      [padded.subarray(4, 4 + bytes.length), { 'runflow-signature': [signature] }],
      [
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
        new Headers({ 'runflow-signature': signature }),
      ],
      [body, { 'runflow-signature': ` ${signature.toUpperCase()} ` }],
    ];
    for (const [raw, headers] of forms) {
      await expect(verifyRunflowCallback(raw, headers, SECRET)).resolves.toMatchObject({ event: 'batch.succeeded' });
    }
  });

  it('should accept the old and the new secret during a rotation, and nothing else', async () => {
    const secrets = [SECRET, OLD];
    await expect(verifyRunflowCallback(body, { 'runflow-signature': sign(body, OLD) }, secrets)).resolves.toBeDefined();
    await expect(
      verifyRunflowCallback(body, { 'runflow-signature': sign(body, SECRET) }, secrets),
    ).resolves.toBeDefined();
    const other = sign(body, 'whsec_someone_else');
    expect(await reason(verifyRunflowCallback(body, { 'runflow-signature': other }, secrets))).toBe(
      'signature_mismatch',
    );
    // After the rotation, the old secret is refused.
    expect(await reason(verifyRunflowCallback(body, { 'runflow-signature': sign(body, OLD) }, SECRET))).toBe(
      'signature_mismatch',
    );
  });

  it('should reject a missing, malformed or wrong signature with its reason', async () => {
    const cases: Array<[Record<string, string | undefined>, string]> = [
      [{}, 'missing_signature'],
      [{ 'runflow-signature': undefined }, 'missing_signature'],
      [{ 'runflow-signature': '' }, 'missing_signature'],
      [{ 'runflow-signature': 'abc' }, 'malformed_signature'],
      [{ 'runflow-signature': sign(body).slice(1) }, 'malformed_signature'],
      [{ 'runflow-signature': `sha256=${sign(body)}` }, 'malformed_signature'],
      [{ 'runflow-signature': `${sign(body)},${sign(body)}` }, 'malformed_signature'],
      [{ 'runflow-signature': 'g'.repeat(64) }, 'malformed_signature'],
      [{ 'runflow-signature': '0'.repeat(64) }, 'signature_mismatch'],
      [{ 'runflow-signature': sign(`${body} `) }, 'signature_mismatch'],
    ];
    for (const [headers, expected] of cases) {
      expect(await reason(verifyRunflowCallback(body, headers, SECRET))).toBe(expected);
    }
    // One flipped byte of the body.
    const tampered = body.replace('"succeeded": 2', '"succeeded": 3');
    expect(await reason(verifyRunflowCallback(tampered, { 'runflow-signature': sign(body) }, SECRET))).toBe(
      'signature_mismatch',
    );
  });

  it('should reject a correctly signed body that is not a callback event', async () => {
    for (const bad of ['not json', '[]', '{"event":"batch.succeeded"}', '{"batch_id":7,"event":"x"}']) {
      expect(await reason(verifyRunflowCallback(bad, { 'runflow-signature': sign(bad) }, SECRET))).toBe(
        'malformed_body',
      );
    }
  });

  it('should refuse an empty secret list without naming a secret', async () => {
    await expect(verifyRunflowCallback(body, { 'runflow-signature': sign(body) }, [])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(verifyRunflowCallback(body, { 'runflow-signature': sign(body) }, [SECRET, ''])).rejects.toThrow(
      'invalid secrets[1]: expected a non-empty string (got an empty string)',
    );
  });
});

describe('signRunflowCallback', () => {
  it('should produce what node:crypto computes', async () => {
    expect(await signRunflowCallback(body, SECRET)).toBe(sign(body));
    expect(await signRunflowCallback(new TextEncoder().encode('é'), 'k')).toBe(sign(Buffer.from('é'), 'k'));
  });
});

describe('runflowCallbackNotification', () => {
  const event = (fields: Partial<RunflowBatchCallbackEvent>): RunflowBatchCallbackEvent => ({
    event: 'batch.succeeded',
    batch_id: 'b1',
    ...fields,
  });

  it('should map the status through the batch status table, else the event name', () => {
    const cases: Array<[Partial<RunflowBatchCallbackEvent>, JobStatus | undefined]> = [
      [{ status: 'succeeded' }, 'succeeded'],
      [{ event: 'batch.partial_succeeded', status: 'partial_succeeded' }, 'partially_succeeded'],
      [{ event: 'batch.failed', status: 'failed' }, 'failed'],
      [{ event: 'batch.cancelled', status: 'canceled' }, 'cancelled'],
      [{ event: 'batch.cancelled', status: 'cancelled' }, 'cancelled'],
      [{ event: 'batch.failed' }, 'failed'],
      [{ event: 'batch.cancelled' }, 'cancelled'],
      [{ event: 'batch.partial_succeeded', status: 'weird' }, 'partially_succeeded'],
      [{ event: 'batch.exploded', status: 'weird' }, undefined],
      [{ event: 'toString' }, undefined],
    ];
    for (const [fields, status] of cases) {
      const n = runflowCallbackNotification(event({ ...fields, status: fields.status }));
      expect(n).toEqual({ provider: 'runflow', kind: 'batch', id: 'b1', ...(status && { status }) });
    }
  });
});
