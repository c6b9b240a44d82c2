// Hostile bodies from a real local server: every shape error is an InvalidResponseError naming the
// field, and it spends the error budget (a watch never polls `unknown` forever on `{}`).
import { InvalidResponseError, waitForJob } from '@batchwatch/core';
import { jobResults } from '@batchwatch/core/results';
import { instantClock, type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkBatch, createCheckClient } from '../src/index.js';

const ID = 'batch_a1b2c3d4e5f6';
const KEY = 'vfy_live_SECRET_key_123';
const FAST = { minIntervalMs: 10, initialIntervalMs: 10, maxIntervalMs: 40 } as const;

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  await server.close();
});
const client = () => createCheckClient({ apiKey: KEY, baseUrl: server.url });

describe('check status bodies of the wrong shape', () => {
  it.each([
    [
      'a non-string status',
      { id: ID, status: { toString: 1 } },
      /check sent status as an object, expected a status string/,
    ],
    ['{}', {}, /check sent no status, expected a status string/],
    ['[]', [], /an array, expected a JSON object/],
  ])(
    'should reject %s with InvalidResponseError naming the field, after spending the error budget',
    async (_, body, message) => {
      server.respond(() => ({ body }));
      const error = await waitForJob(checkBatch(client()), ID, {
        clock: instantClock(),
        ...FAST,
        maxConsecutiveErrors: 2,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(message);
      expect(server.requests).toHaveLength(3);
    },
  );
});

describe('check result pages of the wrong shape', () => {
  const pagination = { total: 2, limit: 100, offset: 0, hasMore: false };
  const batch = { id: ID, status: 'completed', totalItems: 2 };
  const item = (i: number, status: unknown = 'completed') => ({ id: `item_${i}`, status, itemIndex: i });
  it.each([
    [
      'an items object',
      { batch, items: { a: item(0) }, pagination },
      /items as an object, expected an array of objects/,
    ],
    ['a null item', { batch, items: [item(0), null], pagination }, /items\[1\] as null, expected an object/],
    [
      'a non-string item status',
      { batch, items: [item(0, ['completed'])], pagination },
      /status is an array, expected a string/,
    ],
  ])('should fail a page with %s with InvalidResponseError naming the field', async (_, page, message) => {
    server.respond(() => ({ body: page }));
    const error = await jobResults(checkBatch(client()), ID, { maxConsecutiveErrors: 0 })
      .toArray({ max: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(message);
  });
});
