import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BatchwatchError, ValidationError } from '../src/index.js';
import {
  getWebhookHeader,
  hmacSha256Hex,
  matchesHmacSha256Hex,
  parseWebhookBody,
  resolveWebhookSecrets,
  timingSafeEqual,
  WebhookVerificationError,
  webhookBodyBytes,
} from '../src/webhooks/index.js';

/** Wraps bytes so every indexed read is counted. */
function counted(bytes: number[]): { array: Uint8Array; reads: () => number } {
  let reads = 0;
  const array = new Proxy(new Uint8Array(bytes), {
    get(target, key) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { array, reads: () => reads };
}

describe('timingSafeEqual', () => {
  it('should compare bytes', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it('should read every byte even when the first one differs (no early exit)', () => {
    const a = counted([0, 1, 2, 3, 4, 5, 6, 7]);
    const b = counted([9, 1, 2, 3, 4, 5, 6, 7]);
    expect(timingSafeEqual(a.array, b.array)).toBe(false);
    expect([a.reads(), b.reads()]).toEqual([8, 8]);
  });
});

describe('HMAC helpers', () => {
  it('should match node:crypto (RFC 4231 test case 2)', async () => {
    expect(await hmacSha256Hex('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    const payload = new TextEncoder().encode('{"a":"é"}');
    expect(await hmacSha256Hex('s', payload)).toBe(createHmac('sha256', 's').update(payload).digest('hex'));
  });

  it('should find a signature made with any secret, and refuse non-hex or short ones', async () => {
    const good = await hmacSha256Hex('old', 'body');
    expect(await matchesHmacSha256Hex('body', [good], ['new', 'old'])).toBe(true);
    expect(await matchesHmacSha256Hex('body', ['zz', good.toUpperCase(), good], ['new', 'old'])).toBe(true);
    expect(await matchesHmacSha256Hex('body', [good], ['new'])).toBe(false);
    expect(await matchesHmacSha256Hex('body', [good.slice(2)], ['old'])).toBe(false);
    expect(await matchesHmacSha256Hex('body', ['not hex at all'], ['old'])).toBe(false);
    expect(await matchesHmacSha256Hex('body', [], ['old'])).toBe(false);
  });
});

describe('webhook inputs', () => {
  it('should read headers case-insensitively from Headers and node records', () => {
    expect(getWebhookHeader(new Headers({ 'X-Sig': 'a' }), 'x-sig')).toBe('a');
    expect(getWebhookHeader({ 'x-sig': 'a' }, 'X-Sig')).toBe('a');
    expect(getWebhookHeader({ 'X-SIG': ['a', 'b'] }, 'x-sig')).toBe('a,b');
    expect(getWebhookHeader({ 'x-sig': undefined }, 'x-sig')).toBeUndefined();
    expect(getWebhookHeader({}, 'x-sig')).toBeUndefined();
  });

  it('should copy bodies into fresh bytes', () => {
    const buffer = Buffer.from('xxhelloxx');
    const view = buffer.subarray(2, 7);
    const bytes = webhookBodyBytes(view);
    expect(new TextDecoder().decode(bytes)).toBe('hello');
    expect(bytes.buffer).not.toBe(buffer.buffer);
    expect(new TextDecoder().decode(webhookBodyBytes(new TextEncoder().encode('hi').buffer))).toBe('hi');
    expect(() => webhookBodyBytes({} as unknown as string)).toThrow(ValidationError);
  });

  it('should check secrets without echoing them', () => {
    expect(resolveWebhookSecrets('a')).toEqual(['a']);
    expect(resolveWebhookSecrets(['a', 'b'])).toEqual(['a', 'b']);
    expect(() => resolveWebhookSecrets([])).toThrow('invalid secrets: expected a non-empty secret');
    expect(() => resolveWebhookSecrets(['whsec_x', ''])).toThrow(ValidationError);
    expect(() => resolveWebhookSecrets(undefined as unknown as string)).toThrow(ValidationError);
  });

  it('should parse a verified body or fail with malformed_body', () => {
    expect(parseWebhookBody('{"a":"x"}', 'T', ['a'])).toEqual({ a: 'x' });
    for (const bad of ['{', '[]', 'null', '{"a":1}']) {
      let error: unknown;
      try {
        parseWebhookBody(bad, 'T', ['a']);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WebhookVerificationError);
      expect(error).toBeInstanceOf(BatchwatchError);
      expect((error as WebhookVerificationError).reason).toBe('malformed_body');
    }
  });
});
