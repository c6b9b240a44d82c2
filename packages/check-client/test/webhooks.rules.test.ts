// Check webhook verification at its edges: how the `t=...,v1=...` header is read, the replay window
// to the second, what a bad option or signature is told, and which events become notifications.
// Signatures are computed with node:crypto, independently of the WebCrypto code under test.
import { createHmac } from 'node:crypto';
import { ValidationError } from '@batchwatch/core';
import { WebhookVerificationError } from '@batchwatch/core/webhooks';
import { describe, expect, it } from 'vitest';
import {
  type CheckWebhookEvent,
  checkWebhookNotification,
  signCheckWebhook,
  verifyCheckWebhook,
} from '../src/webhooks.js';

const SECRET = 'whsec_rules_0123456789';
const T = 1_705_312_950;
const body = JSON.stringify({ id: 'evt_1', type: 'batch.completed', createdAt: '2024-01-15T10:02:31Z', data: {} });
const v1 = (t: number | string, payload = body, secret = SECRET) =>
  createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
const at = (seconds: number) => () => seconds * 1000;

/** What verifyCheckWebhook says about `signature` (the header value): 'ok', or the error's reason and message. */
async function verdict(signature: string, options: Parameters<typeof verifyCheckWebhook>[3] = { now: at(T) }) {
  try {
    await verifyCheckWebhook(body, { 'x-check-signature': signature }, SECRET, options);
    return 'ok';
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    return `${error.reason}: ${error.message}`;
  }
}

describe('verifyCheckWebhook: reading the signature header', () => {
  it('should take entries in any order, with spaces around keys and values', async () => {
    expect(await verdict(`v1=${v1(T)},t=${T}`)).toBe('ok');
    expect(await verdict(` t = ${T} , v1 = ${v1(T)} `)).toBe('ok');
    expect(await verdict(`t=${T},v1=${'ab'.repeat(32)},v1=${v1(T).toUpperCase()}`)).toBe('ok');
  });

  it('should refuse entries without a key or without =, a second t, and t that is not 1-15 digits', async () => {
    const malformed = 'malformed_signature: the X-Check-Signature header is not t=<unix seconds>,v1=<hex>';
    for (const header of [
      `=${T},t=${T},v1=${v1(T)}`,
      `t=${T},v1=${v1(T)},x`,
      `t=${T},t=${T + 1},v1=${v1(T)}`,
      `t=,v1=${v1('')}`,
      `t=${'1'.repeat(16)},v1=${v1('1'.repeat(16))}`,
      `t=-5,v1=${v1(-5)}`,
      `t=${T}.5,v1=${v1(`${T}.5`)}`,
      `t=${T},v1=`,
      `t=${T},v1=${v1(T)}z`,
      `t=${T},v1=z${v1(T)}`,
      `t=${T}`,
    ]) {
      expect(await verdict(header), header).toBe(malformed);
    }
  });

  it('should accept the longest timestamp it reads, 15 digits, and sign over the digits as sent', async () => {
    const t = 999_999_999_999_999;
    expect(await verdict(`t=${t},v1=${v1(t)}`, { now: at(t) })).toBe('ok');
    expect(await verdict(`t=0${T},v1=${v1(`0${T}`)}`)).toMatch(/^signature_mismatch/);
  });

  it('should name the secrets it tried when nothing matches', async () => {
    expect(await verdict(`t=${T},v1=${v1(T, body, 'other')}`)).toBe(
      'signature_mismatch: no v1 signature of the X-Check-Signature header matches the body with the secret',
    );
    await expect(
      verifyCheckWebhook(body, { 'x-check-signature': `t=${T},v1=${v1(T, body, 'other')}` }, [SECRET, 'old'], {
        now: at(T),
      }),
    ).rejects.toThrow('matches the body with any of the 2 secrets');
  });

  it('should refuse an empty secret, naming the option', async () => {
    await expect(verifyCheckWebhook(body, {}, ['s', ''])).rejects.toThrow(
      'invalid secret[1]: expected a non-empty string',
    );
  });

  it('should say the header is missing when it is absent or blank', async () => {
    const missing = 'missing_signature: the X-Check-Signature header is missing';
    expect(await verdict('   ')).toBe(missing);
    await expect(verifyCheckWebhook(body, {}, SECRET)).rejects.toMatchObject({ reason: 'missing_signature' });
  });
});

describe('verifyCheckWebhook: the replay window', () => {
  const header = `t=${T},v1=${v1(T)}`;

  it('should accept a timestamp exactly at the tolerance either way, and refuse a millisecond more', async () => {
    expect(await verdict(header, { now: () => (T + 300) * 1000 })).toBe('ok');
    expect(await verdict(header, { now: () => (T - 300) * 1000 })).toBe('ok');
    expect(await verdict(header, { now: () => (T + 300) * 1000 + 1 })).toMatch(/^timestamp_out_of_tolerance/);
    expect(await verdict(header, { now: () => (T - 300) * 1000 - 1 })).toMatch(/^timestamp_out_of_tolerance/);
  });

  it('should say how far off the timestamp is, and which way', async () => {
    expect(await verdict(header, { now: at(T + 3600) })).toBe(
      'timestamp_out_of_tolerance: the X-Check-Signature timestamp is 3600 s old (tolerance 300 s): a replay or a wrong clock',
    );
    expect(await verdict(header, { now: at(T - 400.4) })).toBe(
      'timestamp_out_of_tolerance: the X-Check-Signature timestamp is 400 s in the future (tolerance 300 s): a replay or a wrong clock',
    );
    expect(await verdict(header, { now: at(T + 20), toleranceSeconds: 10 })).toContain('20 s old (tolerance 10 s)');
  });

  it('should take a tolerance of 0 as "this very second" and check the signature before the time', async () => {
    expect(await verdict(header, { now: at(T), toleranceSeconds: 0 })).toBe('ok');
    expect(await verdict(header, { now: () => T * 1000 + 1, toleranceSeconds: 0 })).toMatch(/^timestamp_out_of/);
    expect(await verdict(`t=${T},v1=${'00'.repeat(32)}`, { now: at(T + 9999) })).toMatch(/^signature_mismatch/);
  });

  it.each([[-1], [Number.NaN], ['300']])(
    'should refuse a toleranceSeconds of %j before reading anything',
    async (t) => {
      await expect(verifyCheckWebhook(body, {}, SECRET, { toleranceSeconds: t as number })).rejects.toThrow(
        `invalid toleranceSeconds: expected a number >= 0 (or Infinity) (got ${String(t)})`,
      );
      await expect(verifyCheckWebhook(body, {}, SECRET, { toleranceSeconds: t as number })).rejects.toBeInstanceOf(
        ValidationError,
      );
    },
  );
});

describe('verifyCheckWebhook: the event', () => {
  const signed = async (payload: string) =>
    verifyCheckWebhook(payload, { 'x-check-signature': `t=${T},v1=${v1(T, payload)}` }, SECRET, { now: at(T) });

  it('should need a data object', async () => {
    for (const data of ['null', '[]', '"x"', '1']) {
      const payload = `{"id":"e","type":"t","createdAt":"c","data":${data}}`;
      await expect(signed(payload)).rejects.toThrow('Check webhook: the body lacks the object field data');
    }
    const missing = '{"id":"e","type":"t","createdAt":"c"}';
    await expect(signed(missing)).rejects.toMatchObject({ reason: 'malformed_body' });
    await expect(signed('{"id":"e","type":"t","createdAt":"c","data":{}}')).resolves.toMatchObject({ id: 'e' });
  });

  it('should need id, type and createdAt as strings', async () => {
    await expect(signed('{"type":"t","createdAt":"c","data":{}}')).rejects.toThrow(
      'Check webhook: the body lacks string field(s) id',
    );
    await expect(signed('{"id":"e","type":2,"data":{}}')).rejects.toThrow('lacks string field(s) type, createdAt');
  });
});

describe('signCheckWebhook', () => {
  it('should sign now by default, in whole seconds', async () => {
    const before = Math.floor(Date.now() / 1000);
    const header = await signCheckWebhook(body, SECRET);
    const after = Math.floor(Date.now() / 1000);
    const t = Number(/^t=(\d+),/.exec(header)?.[1]);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
    expect(header).toBe(`t=${t},v1=${v1(t)}`);
  });

  it('should sign at 0 and refuse a timestamp that is not whole seconds >= 0', async () => {
    expect(await signCheckWebhook(body, SECRET, { timestamp: 0 })).toBe(`t=0,v1=${v1(0)}`);
    for (const timestamp of [-1, 1.5, Number.NaN]) {
      await expect(signCheckWebhook(body, SECRET, { timestamp })).rejects.toThrow(
        `invalid timestamp: expected an integer >= 0 (Unix seconds) (got ${timestamp})`,
      );
    }
    await expect(signCheckWebhook(body, '')).rejects.toThrow('invalid secret[0]: expected a non-empty string');
  });
});

describe('checkWebhookNotification', () => {
  const event = (type: string, data: Record<string, unknown>): CheckWebhookEvent => ({
    id: 'evt',
    type,
    createdAt: '2024-01-15T10:02:31Z',
    data,
  });

  it('should take data.batchId before data.id, and data.id when batchId is empty or not a string', () => {
    expect(checkWebhookNotification(event('batch.failed', { batchId: 'b1', id: 'b2' }))?.id).toBe('b1');
    expect(checkWebhookNotification(event('batch.failed', { batchId: '', id: 'b2' }))?.id).toBe('b2');
    expect(checkWebhookNotification(event('batch.failed', { batchId: 7, id: 'b2' }))?.id).toBe('b2');
    expect(checkWebhookNotification(event('batch.failed', { batchId: '', id: '' }))).toBeUndefined();
    expect(checkWebhookNotification(event('batch.failed', { id: 5 }))).toBeUndefined();
  });

  it("should read the batch's own status before the event's", () => {
    expect(checkWebhookNotification(event('batch.failed', { id: 'b', status: 'completed' }))?.status).toBe('succeeded');
    expect(checkWebhookNotification(event('batch.completed', { id: 'b', status: 'processing' }))?.status).toBe(
      'running',
    );
    expect(checkWebhookNotification(event('batch.completed', { id: 'b', status: 3 }))?.status).toBe('succeeded');
    expect(checkWebhookNotification(event('batch.failed', { id: 'b', status: null }))).toEqual({
      provider: 'check',
      kind: 'batch',
      id: 'b',
      status: 'failed',
    });
  });
});
