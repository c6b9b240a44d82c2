// The building blocks of webhook verification (core/webhooks) at their edges: header lookup in both
// header shapes, body bytes, secret lists and what a bad one is told, hex signatures, and the body
// checks after a signature matched. webhook.test.ts has the everyday cases.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../src/index.js';
import {
  getWebhookHeader,
  hmacSha256,
  hmacSha256Hex,
  matchesHmacSha256Hex,
  parseWebhookBody,
  resolveWebhookSecrets,
  timingSafeEqual,
  WebhookVerificationError,
  webhookBodyBytes,
} from '../src/webhooks/index.js';

const hex = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('getWebhookHeader', () => {
  it('should read a Fetch Headers object, joining repeats as Headers does', () => {
    const headers = new Headers([
      ['X-Sig', 'a'],
      ['x-sig', 'b'],
    ]);
    expect(getWebhookHeader(headers, 'X-SIG')).toBe('a, b');
    expect(getWebhookHeader(new Headers(), 'x-sig')).toBeUndefined();
  });

  it("should read a Node header record in any case, joining every matching entry's values", () => {
    const record = { 'x-sig': 'a', 'X-Sig': ['b', 'c'], 'x-other': 'z', 'X-SIG': undefined };
    expect(getWebhookHeader(record, 'x-sig')).toBe('a,b,c');
    expect(getWebhookHeader({ 'x-sig': [] }, 'x-sig')).toBeUndefined();
    expect(getWebhookHeader({ 'x-sig': '' }, 'x-sig')).toBe('');
  });

  it('should take a record with a field named get as a record, not as Headers', () => {
    expect(getWebhookHeader({ get: 'x', 'x-sig': 'a' }, 'x-sig')).toBe('a');
    const getOnly = { get: () => 'from get', 'x-sig': 'a' } as unknown as Record<string, string>;
    expect(getWebhookHeader(getOnly, 'x-sig')).toBe('a');
    const hasOnly = { has: () => true, 'x-sig': 'b' } as unknown as Record<string, string>;
    expect(getWebhookHeader(hasOnly, 'x-sig')).toBe('b');
  });
});

describe('webhookBodyBytes', () => {
  it('should encode a string as UTF-8 and copy bytes, leaving the original alone', () => {
    expect([...webhookBodyBytes('é')]).toEqual([0xc3, 0xa9]);
    const source = new Uint8Array([1, 2, 3]);
    const copy = webhookBodyBytes(source);
    copy[0] = 9;
    expect([...source]).toEqual([1, 2, 3]);
    const buffer = new Uint8Array([4, 5]).buffer;
    const fromBuffer = webhookBodyBytes(buffer);
    fromBuffer[0] = 9;
    expect([...new Uint8Array(buffer)]).toEqual([4, 5]);
    expect([...webhookBodyBytes(new Uint8Array(new Uint8Array([7, 8, 9]).buffer, 1, 2))]).toEqual([8, 9]);
  });

  it('should refuse anything else as rawBody, naming its type', () => {
    expect(() => webhookBodyBytes(42 as unknown as string)).toThrow(
      'invalid rawBody: expected a string, Uint8Array or ArrayBuffer (got number)',
    );
  });
});

describe('resolveWebhookSecrets', () => {
  it.each([
    [[], 'invalid secrets: expected a non-empty secret or a non-empty array of them (got an empty array)'],
    [undefined, 'invalid secrets: expected a non-empty secret or a non-empty array of them (got undefined)'],
    [7, 'invalid secrets: expected a non-empty secret or a non-empty array of them (got number)'],
    ['', 'invalid secrets[0]: expected a non-empty string (got an empty string)'],
    [['a', 5], 'invalid secrets[1]: expected a non-empty string (got number)'],
    [['a', 'b', ''], 'invalid secrets[2]: expected a non-empty string (got an empty string)'],
  ])('should refuse %j without showing a secret', (secrets, message) => {
    expect(() => resolveWebhookSecrets(secrets as string[])).toThrow(ValidationError);
    expect(() => resolveWebhookSecrets(secrets as string[])).toThrow(message);
  });

  it('should name the field it was given, and return a copy of the list', () => {
    expect(() => resolveWebhookSecrets([], 'secret')).toThrow('invalid secret: expected');
    expect(() => resolveWebhookSecrets(['x', ''], 'secret')).toThrow('invalid secret[1]:');
    const list = ['a', 'b'];
    const resolved = resolveWebhookSecrets(list);
    expect(resolved).toEqual(['a', 'b']);
    expect(resolved).not.toBe(list);
  });
});

describe('HMAC and comparison', () => {
  it('should sign with WebCrypto as node:crypto does, as bytes and as lowercase hex', async () => {
    const bytes = await hmacSha256('k', 'body');
    expect(bytes).toHaveLength(32);
    expect(Buffer.from(bytes).toString('hex')).toBe(hex('k', 'body'));
    // Bytes below 0x10 keep their leading zero: always 64 characters.
    for (const secret of ['a', 'b', 'c', 'd', 'e']) expect(await hmacSha256Hex(secret, 'x')).toBe(hex(secret, 'x'));
  });

  it('should say plainly when there is no WebCrypto', async () => {
    vi.stubGlobal('crypto', undefined);
    await expect(hmacSha256('k', 'x')).rejects.toThrow(
      'webhook verification needs WebCrypto (globalThis.crypto.subtle): Node >= 20, a browser or an edge runtime',
    );
  });

  it('should compare equal lengths byte by byte, every byte counting', () => {
    for (let i = 0; i < 4; i++) {
      const a = new Uint8Array([1, 2, 3, 4]);
      const b = new Uint8Array([1, 2, 3, 4]);
      b[i] = 0xff;
      expect(timingSafeEqual(a, b)).toBe(false);
    }
    expect(timingSafeEqual(new Uint8Array([0x0f]), new Uint8Array([0xf0]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(false);
  });

  it('should take hex in either case, and refuse odd-length or non-hex signatures', async () => {
    const good = hex('s', 'body');
    expect(await matchesHmacSha256Hex('body', [good.toUpperCase()], ['s'])).toBe(true);
    expect(await matchesHmacSha256Hex('body', [`${good}0`], ['s'])).toBe(false);
    expect(await matchesHmacSha256Hex('body', [`${good.slice(0, -1)}g`], ['s'])).toBe(false);
    expect(await matchesHmacSha256Hex('body', [`x${good}`], ['s'])).toBe(false);
    expect(await matchesHmacSha256Hex('body', [`${good}x`], ['s'])).toBe(false);
    expect(await matchesHmacSha256Hex('body', [''], ['s'])).toBe(false);
    expect(await matchesHmacSha256Hex('body', [good], [])).toBe(false);
  });

  it('should match the last of several signatures with the first of several secrets', async () => {
    const good = hex('first', 'body');
    expect(await matchesHmacSha256Hex('body', ['00'.repeat(32), good], ['first', 'second'])).toBe(true);
  });
});

describe('parseWebhookBody', () => {
  const reasonOf = (body: string, required: string[]) => {
    try {
      parseWebhookBody(body, 'Acme event', required);
    } catch (error) {
      expect(error).toBeInstanceOf(WebhookVerificationError);
      expect((error as WebhookVerificationError).reason).toBe('malformed_body');
      return (error as Error).message;
    }
    return undefined;
  };

  it('should say what is wrong with the body, naming every missing string field', () => {
    expect(reasonOf('{', ['id'])).toBe('Acme event: the body is not JSON');
    expect(reasonOf('[]', ['id'])).toBe('Acme event: the body is not a JSON object');
    expect(reasonOf('null', ['id'])).toBe('Acme event: the body is not a JSON object');
    expect(reasonOf('"id"', ['id'])).toBe('Acme event: the body is not a JSON object');
    expect(reasonOf('{"id":1,"type":"t"}', ['id', 'type', 'at'])).toBe(
      'Acme event: the body lacks string field(s) id, at',
    );
    expect(reasonOf('{"id":"1"}', ['id'])).toBeUndefined();
    expect(reasonOf('{"id":"1"}', [])).toBeUndefined();
  });

  it('should read bytes as UTF-8 and keep the parse error as the cause', () => {
    expect(parseWebhookBody(new TextEncoder().encode('{"n":"é"}'), 'Acme', ['n'])).toEqual({ n: 'é' });
    try {
      parseWebhookBody('{', 'Acme', []);
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(SyntaxError);
      expect((error as Error).name).toBe('WebhookVerificationError');
    }
  });
});
