import { describe, expect, it } from 'vitest';
import { unwrapApiResult } from '../src/client-kit/index.js';
import { InvalidHandleError } from '../src/handles.js';
import {
  AbortError,
  AuthenticationError,
  BadRequestError,
  BatchwatchError,
  CancelNotSupportedError,
  ConflictError,
  HttpError,
  InvalidResponseError,
  isTransientError,
  JobCancelledError,
  JobFailedError,
  NetworkError,
  NotFoundError,
  PermissionDeniedError,
  PollTimeoutError,
  RateLimitError,
  RequestTimeoutError,
  ServerError,
  ValidationError,
} from '../src/index.js';
import { WebhookVerificationError } from '../src/webhooks/index.js';
import { snap } from './helpers.js';

const cause = new Error('root cause');
const http = (status: number) => HttpError.from({ provider: 'check', status, cause });

describe('error classes', () => {
  it.each([
    ['BatchwatchError', new BatchwatchError('x', { cause }), [Error]],
    ['HttpError', new HttpError({ status: 418, cause }), [BatchwatchError]],
    ['BadRequestError', http(400), [HttpError, BatchwatchError]],
    ['AuthenticationError', http(401), [HttpError, BatchwatchError]],
    ['PermissionDeniedError', http(403), [HttpError, BatchwatchError]],
    ['NotFoundError', http(404), [HttpError, BatchwatchError]],
    ['ConflictError', http(409), [HttpError, BatchwatchError]],
    ['RateLimitError', http(429), [HttpError, BatchwatchError]],
    ['ServerError', http(503), [HttpError, BatchwatchError]],
    ['NetworkError', new NetworkError('reset', { cause }), [BatchwatchError]],
    ['RequestTimeoutError', new RequestTimeoutError(500, { cause }), [NetworkError, BatchwatchError]],
    ['InvalidResponseError', new InvalidResponseError('bad json', { cause }), [BatchwatchError]],
    ['PollTimeoutError', new PollTimeoutError(1000, 3, undefined, { cause }), [BatchwatchError]],
    ['AbortError', new AbortError(cause), [BatchwatchError]],
    ['InvalidHandleError', new InvalidHandleError('x', { cause }), [BatchwatchError]],
    ['CancelNotSupportedError', new CancelNotSupportedError('x', { cause }), [BatchwatchError]],
    ['WebhookVerificationError', new WebhookVerificationError('signature_mismatch', 'x', { cause }), [BatchwatchError]],
  ] as const)('should set name %s, keep the instanceof chain and keep the cause', (name, error, parents) => {
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(Error);
    for (const parent of parents) expect(error).toBeInstanceOf(parent);
    expect(error.cause).toBe(cause);
  });

  it('should set names on errors that take no cause', () => {
    expect(new ValidationError('id', 'a string').name).toBe('ValidationError');
    expect(new JobFailedError(snap('failed')).name).toBe('JobFailedError');
    expect(new JobCancelledError(snap('cancelled')).name).toBe('JobCancelledError');
  });

  it.each([
    [400, BadRequestError],
    [422, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [429, RateLimitError],
    [500, ServerError],
    [502, ServerError],
    [503, ServerError],
  ])('should map HTTP %i to %o in HttpError.from', (status, cls) => {
    const error = HttpError.from({ status });
    expect(error).toBeInstanceOf(cls);
    expect(error.status).toBe(status);
  });

  it('should map an unlisted status to the base HttpError', () => {
    const error = HttpError.from({ status: 418 });
    expect(error.constructor).toBe(HttpError);
  });

  it('should keep status, code, request id, headers, body and retryAfterMs', () => {
    const error = HttpError.from({
      provider: 'runflow',
      status: 429,
      code: 'RATE_LIMITED',
      message: 'slow down',
      requestId: 'req_1',
      headers: { 'retry-after': '3' },
      body: { code: 'RATE_LIMITED' },
      retryAfterMs: 3000,
    });
    expect(error).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      requestId: 'req_1',
      retryAfterMs: 3000,
      body: { code: 'RATE_LIMITED' },
    });
    expect(error.message).toBe('runflow HTTP 429 RATE_LIMITED: slow down (request id req_1)');
  });

  it.each([
    [new NetworkError('x'), true],
    [new RequestTimeoutError(10), true],
    [new InvalidResponseError('x'), true],
    [http(408), true],
    [http(429), true],
    [http(500), true],
    [http(503), true],
    [http(400), false],
    [http(401), false],
    [http(403), false],
    [http(404), false],
    [http(409), false],
    [http(422), false],
    [new ValidationError('id', 'x'), false],
    [new TypeError('bug'), false],
  ])('should classify %o as transient: %s', (error, transient) => {
    expect(isTransientError(error)).toBe(transient);
  });

  it('should carry the final snapshot on job errors and the attempts on a poll timeout', () => {
    const failed = { ...snap('failed'), failure: { code: 'OOM', message: 'out of memory' } };
    const error = new JobFailedError(failed);
    expect(error.snapshot).toBe(failed);
    expect(error.message).toContain('OOM out of memory');
    const timeout = new PollTimeoutError(60_000, 7, snap('running'));
    expect(timeout).toMatchObject({ attempts: 7, snapshot: { status: 'running' } });
    expect(timeout.message).toContain('60000 ms and 7 polls; last status running');
  });

  it('should keep the abort reason and cut body snippets to 200 characters', () => {
    expect(new AbortError('bye').reason).toBe('bye');
    expect(new InvalidResponseError('x', { bodySnippet: 'a'.repeat(500) }).bodySnippet).toHaveLength(200);
    expect(new ValidationError('schedule_id', 'letters', { received: '!' }).field).toBe('schedule_id');
  });
});

describe('error messages', () => {
  const secret = 'sk_live_TOPSECRET';

  it('should not put request headers or the body in an HttpError message', () => {
    const error = HttpError.from({
      provider: 'check',
      status: 401,
      headers: { authorization: `Bearer ${secret}`, 'x-api-key': secret },
      body: { echoed: secret },
    });
    expect(error.message).not.toContain(secret);
  });

  it('should not leak the key of a URL or header through unwrapApiResult', async () => {
    const context = { signal: new AbortController().signal, now: () => 0 };
    const failing = unwrapApiResult(
      'check',
      async () => ({
        error: { message: 'unauthorized', echoedKey: secret },
        response: new Response('{}', { status: 401, headers: { 'x-echoed-key': secret } }),
      }),
      () => ({ message: 'invalid key' }),
      context,
    );
    await expect(failing).rejects.toThrow(AuthenticationError);
    await failing.catch((error: Error) => expect(error.message).not.toContain(secret));
    const network = unwrapApiResult(
      'check',
      () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })),
      () => ({}),
      context,
    );
    await expect(network).rejects.toThrow('check request failed: fetch failed (ECONNRESET)');
  });
});
