// Hostile bodies from a real local server: every shape error is an InvalidResponseError naming the
// field, and it spends the error budget (a watch never polls `unknown` forever on `{}`).
import { InvalidResponseError, waitForJob } from '@batchwatch/core';
import { jobResults } from '@batchwatch/core/results';
import { instantClock, type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSupermetricsClient, supermetricsBatch, supermetricsQueryStatus } from '../src/index.js';

const QUERY = 'abc123';
const BATCH = 'qrb_3feb5ff5c71e';
const KEY = 'sm_api_SECRETKEY_0123';
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40 } as const;

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});
const client = () => createSupermetricsClient({ apiKey: KEY, baseUrl: server.url });
const path = (url: string) => new URL(url, 'http://x').pathname;

describe('supermetrics status bodies of the wrong shape', () => {
  it.each([
    [
      'a non-string status',
      { meta: { status_code: { toString: 1 } } },
      /meta\.status_code as an object, expected a status string/,
    ],
    ['{}', {}, /supermetrics sent no meta.status_code, expected a status string/],
    ['[]', [], /an array, expected a JSON object/],
  ])(
    'should reject a query with %s with InvalidResponseError naming the field, after spending the error budget',
    async (_, body, message) => {
      server.respond(() => ({ body }));
      const error = await waitForJob(supermetricsQueryStatus(client()), QUERY, {
        clock: instantClock(),
        ...FAST,
        maxConsecutiveErrors: 2,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(message);
      expect(server.requests).toHaveLength(3);
    },
  );

  it('should reject a batch without a status string', async () => {
    server.respond((r) =>
      path(r.url).endsWith('/status')
        ? { body: { meta: { progress: { queued: 1 } }, data: [] } }
        : { body: { data: { batch_id: BATCH, status_code: { toString: 1 } } } },
    );
    const error = await waitForJob(supermetricsBatch(client()), BATCH, { maxConsecutiveErrors: 0 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/data\.status_code as an object/);
  });
});

describe('supermetrics result pages of the wrong shape', () => {
  it.each([
    [
      'a data object',
      { meta: { status_code: 'SUCCESS' }, data: { 0: { a: 1 } } },
      /data as an object, expected an array of objects/,
    ],
    [
      'a null row',
      { meta: { status_code: 'SUCCESS' }, data: [{ a: 1 }, null] },
      /data\[1\] as null, expected an object/,
    ],
  ])('should fail a status page with %s with InvalidResponseError naming the field', async (_, page, message) => {
    server.respond(() => ({ body: page }));
    const error = await jobResults(supermetricsQueryStatus(client()), QUERY, { maxConsecutiveErrors: 0 })
      .toArray({ max: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['a data object', { meta: {}, data: { q: {} } }, /data as an object, expected an array of objects/],
    ['a null query', { meta: {}, data: [null] }, /data\[0\] as null, expected an object/],
    [
      'a non-string query status',
      { meta: {}, data: [{ status_code: 5 }] },
      /status_code is a number, expected a string/,
    ],
  ])(
    'should fail a batch queries page with %s with InvalidResponseError naming the field',
    async (_, page, message) => {
      server.respond(() => ({ body: page }));
      const error = await jobResults(supermetricsBatch(client()), BATCH, { maxConsecutiveErrors: 0 })
        .toArray({ max: 10 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(message);
    },
  );
});
