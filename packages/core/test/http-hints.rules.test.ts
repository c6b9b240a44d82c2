// What the client kit reads from a provider's answer (client-kit/http): Retry-After in seconds or
// as a date, the X-RateLimit-* headers, and how an openapi-fetch result becomes data or a typed
// error. Real `Response` objects; the provider's answers are what real providers send.
import { describe, expect, it } from 'vitest';
import {
  type ApiResult,
  headersToRecord,
  hintsFromHeaders,
  parseRetryAfter,
  unwrapApiResult,
} from '../src/client-kit/index.js';
import {
  AuthenticationError,
  BatchwatchError,
  HttpError,
  InvalidResponseError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  ServerError,
} from '../src/index.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const DAY = 86_400_000;

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['7', 7000],
    ['120', 120_000],
    ['3600', 3_600_000],
    ['1.5', 1500],
    ['0.0004', 0],
    [' 30 ', 30_000],
    ['86400', DAY],
    ['86401', DAY],
    ['999999999', DAY],
  ])('should read delay-seconds %j as %i ms, at most a day', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sun, 01 Mar 2026 12:02:00 GMT', 120_000],
    ['Sunday, 01-Mar-26 12:00:05 GMT', 5000],
    ['Sun, 01 Mar 2026 11:00:00 GMT', 0],
    ['Mon, 02 Mar 2026 12:00:01 GMT', DAY],
  ])('should read the HTTP date %j as the time from now, never below 0 or above a day', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([
    [null],
    [undefined],
    [''],
    ['   '],
    ['-5'],
    ['5s'],
    ['1e3'],
    ['.5'],
    ['5.'],
    ['1,5'],
    ['2026-03-01'],
    ['12:00:30'],
    ['soon'],
    ['Sun, 99 Foo 2026 GMT'],
  ])('should ignore %j', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('hintsFromHeaders', () => {
  it('should read Retry-After, the three X-RateLimit headers and the status', () => {
    const headers = new Headers({
      'Retry-After': '120',
      'X-RateLimit-Limit': '600',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1772366460',
    });
    expect(hintsFromHeaders(headers, NOW, 429)).toStrictEqual({
      retryAfterMs: 120_000,
      rateLimit: { limit: 600, remaining: 0, resetAtMs: 1_772_366_460_000 },
      httpStatus: 429,
    });
  });

  it('should keep each rate-limit header it can read and leave out the others', () => {
    expect(hintsFromHeaders(new Headers({ 'x-ratelimit-remaining': ' 12 ' }), NOW)).toStrictEqual({
      rateLimit: { remaining: 12 },
    });
    expect(hintsFromHeaders(new Headers({ 'x-ratelimit-limit': '100' }), NOW)).toStrictEqual({
      rateLimit: { limit: 100 },
    });
    expect(hintsFromHeaders(new Headers({ 'x-ratelimit-reset': '60' }), NOW)).toStrictEqual({
      rateLimit: { resetAtMs: 60_000 },
    });
    for (const bad of ['-1', '1.5', 'ten', '', '1 2']) {
      expect(
        hintsFromHeaders(new Headers({ 'x-ratelimit-limit': bad, 'x-ratelimit-remaining': bad }), NOW),
      ).toStrictEqual({});
    }
  });

  it('should hold only what the headers said: no hints for a plain answer, Retry-After on any status', () => {
    expect(hintsFromHeaders(new Headers(), NOW)).toStrictEqual({});
    expect(hintsFromHeaders(new Headers({ 'retry-after': '5' }), NOW, 200)).toStrictEqual({
      retryAfterMs: 5000,
      httpStatus: 200,
    });
    expect(hintsFromHeaders(new Headers({ 'retry-after': 'later' }), NOW, 503)).toStrictEqual({ httpStatus: 503 });
  });
});

describe('headersToRecord', () => {
  it('should give every header once, lower-case, repeated ones joined', () => {
    const headers = new Headers([
      ['X-Request-Id', 'r1'],
      ['Vary', 'a'],
      ['Vary', 'b'],
    ]);
    expect(headersToRecord(headers)).toEqual({ 'x-request-id': 'r1', vary: 'a, b' });
    expect(headersToRecord(new Headers())).toEqual({});
  });
});

describe('unwrapApiResult', () => {
  const context = (signal = new AbortController().signal) => ({ now: () => NOW, signal });
  const noDetails = () => ({});
  const json = (status: number, headers: Record<string, string> = {}) =>
    new Response(null, { status, headers: { 'content-type': 'application/json', ...headers } });
  const unwrap = <T>(result: ApiResult<T, unknown> | (() => Promise<ApiResult<T, unknown>>), ctx = context()) =>
    unwrapApiResult('acme', typeof result === 'function' ? result : async () => result, noDetails, ctx);

  it('should return the data of a 2xx answer with its response and hints', async () => {
    const response = json(200, { 'retry-after': '3', 'x-ratelimit-remaining': '9' });
    const out = await unwrap({ data: { status: 'RUNNING' }, response });
    expect(out.data).toEqual({ status: 'RUNNING' });
    expect(out.response).toBe(response);
    expect(out.hints).toStrictEqual({ retryAfterMs: 3000, rateLimit: { remaining: 9 }, httpStatus: 200 });
  });

  it.each([
    [undefined, 'acme sent nothing, expected a JSON object'],
    [null, 'acme sent null, expected a JSON object'],
    [[], 'acme sent an array, expected a JSON object'],
    ['<html>', 'acme sent a string, expected a JSON object'],
    [42, 'acme sent a number, expected a JSON object'],
  ])('should refuse a 2xx body that is %j as InvalidResponseError', async (data, message) => {
    const error = await unwrap({ data, response: json(202) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ message, status: 202 });
  });

  it('should turn an error status into the HttpError subclass, with the provider details and the raw body', async () => {
    const body = { error: { code: 'NOT_FOUND', message: 'no such batch' } };
    const error = await unwrapApiResult(
      'acme',
      async () => ({ error: body, response: json(404, { 'x-request-id': 'req_1' }) }),
      (b) => ({ code: (b as typeof body).error.code, message: (b as typeof body).error.message }),
      context(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({
      message: 'acme HTTP 404 NOT_FOUND: no such batch (request id req_1)',
      provider: 'acme',
      status: 404,
      code: 'NOT_FOUND',
      requestId: 'req_1',
      body,
      headers: { 'x-request-id': 'req_1', 'content-type': 'application/json' },
      retryAfterMs: undefined,
    });
  });

  it("should prefer the body's request id, then x-request-id, then request-id, and leave it out when none", async () => {
    const fail = (headers: Record<string, string>, requestId?: string) =>
      unwrapApiResult(
        'acme',
        async () => ({ error: {}, response: json(500, headers) }),
        () => (requestId ? { requestId } : {}),
        context(),
      ).then(
        () => {
          throw new Error('expected an HttpError');
        },
        (e: HttpError) => e,
      );
    expect((await fail({ 'x-request-id': 'x', 'request-id': 'r' }, 'body')).requestId).toBe('body');
    expect((await fail({ 'x-request-id': 'x', 'request-id': 'r' })).requestId).toBe('x');
    expect((await fail({ 'request-id': 'r' })).requestId).toBe('r');
    const none = await fail({});
    expect(none).toBeInstanceOf(ServerError);
    expect(none.requestId).toBeUndefined();
    expect(none.message).toBe('acme HTTP 500');
  });

  it("should carry a 429's Retry-After on the error", async () => {
    const error = await unwrap({
      error: { message: 'slow down' },
      response: json(429, { 'retry-after': '120' }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(120_000);
  });

  it('should treat an error body on a 2xx answer as an error, and an error status without a body too', async () => {
    await expect(unwrap({ error: { message: 'x' }, response: json(200) })).rejects.toBeInstanceOf(HttpError);
    await expect(unwrap({ response: json(401) })).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('should turn a request that got no answer into NetworkError, with the cause and its code', async () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    const error = await unwrap(() => Promise.reject(refused)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ message: 'acme request failed: fetch failed (ECONNREFUSED)', cause: refused });
    const plain = await unwrap(() => Promise.reject(new Error('socket hang up'))).catch((e: unknown) => e);
    expect((plain as Error).message).toBe('acme request failed: socket hang up');
    const causeWithoutCode = await unwrap(() => Promise.reject(new Error('x', { cause: 'text' }))).catch(
      (e: unknown) => e,
    );
    expect((causeWithoutCode as Error).message).toBe('acme request failed: x');
    const thrownString = await unwrap(() => Promise.reject('boom')).catch((e: unknown) => e);
    expect((thrownString as Error).message).toBe('acme request failed: boom');
  });

  it('should turn a body that is not JSON into InvalidResponseError', async () => {
    const syntax = new SyntaxError('Unexpected token < in JSON');
    const error = await unwrap(() => Promise.reject(syntax)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ message: 'acme sent a body that is not valid JSON', cause: syntax });
  });

  it('should rethrow batchwatch errors as they are, and the abort reason once aborted', async () => {
    const own = new InvalidResponseError('too large');
    await expect(unwrap(() => Promise.reject(own))).rejects.toBe(own);
    const controller = new AbortController();
    const reason = new Error('stopped');
    controller.abort(reason);
    await expect(unwrap(() => Promise.reject(new Error('aborted')), context(controller.signal))).rejects.toBe(reason);
    expect(own).toBeInstanceOf(BatchwatchError);
  });
});
