// Hostile bodies from a real local server: every shape error is an InvalidResponseError naming the
// field, and it spends the error budget (a watch never polls `unknown` forever on `{}`).
import { InvalidResponseError, waitForJob } from '@batchwatch/core';
import { jobResults } from '@batchwatch/core/results';
import { instantClock, type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunflowClient, runflowBatch, runflowRun } from '../src/index.js';

const ID = '0190f2a4-5b6c-7d8e-9f01-23456789abcd';
const KEY = 'rf_live_SECRET_token_123';
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40 } as const;

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});
const client = () => createRunflowClient({ apiKey: KEY, baseUrl: server.url });
const isBatchRead = (url: string) => new URL(url, 'http://x').pathname === `/v1/batches/${ID}`;

describe('runflow status bodies of the wrong shape', () => {
  it.each([
    [
      'a non-string status',
      { id: ID, status_code: { toString: 1 } },
      /status_code.*an object, expected a status string/,
    ],
    ['a null status', { id: ID, status_code: null }, /status_code.*null, expected a status string/],
    ['{}', {}, /runflow sent no status_code, expected a status string/],
    ['[]', [], /an array, expected a JSON object/],
  ])(
    'should reject %s with InvalidResponseError naming the field, after spending the error budget',
    async (_, body, message) => {
      server.respond(() => ({ body }));
      const error = await waitForJob(runflowBatch(client()), ID, {
        clock: instantClock(),
        ...FAST,
        maxConsecutiveErrors: 2,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(message);
      expect(server.requests).toHaveLength(3);
    },
  );

  it('should reject a run with a non-string status the same way', async () => {
    server.respond(() => ({ body: { id: ID, status_code: 7 } }));
    const error = await waitForJob(runflowRun(client()), ID, { maxConsecutiveErrors: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/runflow sent status_code as a number/);
  });
});

describe('runflow result pages of the wrong shape', () => {
  const batch = { id: ID, status_code: 'succeeded', items_total: 3 };
  const item = (i: number, status_code: unknown = 'succeeded') => ({ id: `item-${i}`, status_code, sequence_index: i });
  it.each([
    ['an items object', { items: { 0: item(0) }, next_pq: null }, /items as an object, expected an array of objects/],
    ['a null item', { items: [item(0), null], next_pq: null }, /items\[1\] as null, expected an object/],
    ['a string item', { items: ['x'], next_pq: null }, /items\[0\] as a string, expected an object/],
    [
      'a non-string item status',
      { items: [item(0, { toString: 1 })], next_pq: null },
      /status_code is an object, expected a string/,
    ],
  ])('should fail a page with %s with InvalidResponseError naming the field', async (_, page, message) => {
    server.respond((r) => ({ body: isBatchRead(r.url) ? batch : page }));
    const error = await jobResults(runflowBatch(client()), ID, { maxConsecutiveErrors: 0 })
      .toArray({ max: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(message);
  });
});
