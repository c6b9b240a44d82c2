import type { ResultItem, ResultPager } from '@batchwatch/core';
import { objectList, unwrapApiResult } from '@batchwatch/core/client-kit';
import { type ItemStatusTable, mapItemStatus } from '@batchwatch/core/results';
import type { RunflowClient } from './client.js';
import { parseRunflowError } from './errors.js';
import type { components, KnownRunStatusCode } from './generated/schema.gen.js';

/** One item of a batch as `GET /v1/batches/{batch_id}/items` lists it, with its nested run. */
export type RunflowBatchItem = components['schemas']['BatchItem'];

/** Items per `GET /v1/batches/{batch_id}/items` page: the spec's `limit` maximum. */
export const RUNFLOW_ITEMS_PAGE_MAX = 500;

/**
 * Every documented item `status_code` (items mirror their run) and its `ItemStatus`. Both
 * `canceled` and `cancelled` are accepted; `partial_succeeded` is batch-only, so an item reporting
 * it did not fully succeed and counts as `failed`.
 */
export const runflowItemStatusTable: ItemStatusTable<KnownRunStatusCode> = {
  queued: 'pending',
  dispatching: 'pending',
  running: 'pending',
  succeeded: 'succeeded',
  partial_succeeded: 'failed',
  failed: 'failed',
  canceled: 'cancelled',
  cancelled: 'cancelled',
};

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Normalizes one batch item; `index` is used when the item has no `sequence_index`. */
export function runflowBatchItem(item: RunflowBatchItem, index: number): ResultItem<RunflowBatchItem> {
  const status = mapItemStatus(runflowItemStatusTable, item.status_code, 'status_code');
  const out: ResultItem<RunflowBatchItem> = {
    id: item.id,
    index: typeof item.sequence_index === 'number' ? item.sequence_index : index,
    status,
    raw: item,
  };
  // The item's `error` object is free-form; the nested run carries failure_code / failure_message.
  const error = item.error ?? undefined;
  const code = text(error?.code) ?? text(item.run?.failure_code);
  const message = text(error?.message) ?? text(item.run?.failure_message);
  if (code !== undefined || message !== undefined) {
    out.failure = { message: message ?? code ?? '' };
    if (code !== undefined) out.failure.code = code;
  } else if (status === 'failed') {
    out.failure = { message: 'the item failed without an error' };
  }
  return out;
}

/**
 * The items of a batch, for `jobResults`: pages `GET /v1/batches/{batch_id}/items` with its
 * `pq` / `next_pq` cursor (at most 500 a page), one item per input with its live status, the
 * error as `failure` and the full item (output, cost, nested run) as `raw`. Attached as `results`
 * to `runflowBatch(client)`. The first page also reads `GET /v1/batches/{id}` (one request more):
 * the batch's `items_total` bounds the stream, so a provider cannot stream more items than the
 * batch has, and a cursor that comes back fails with `InvalidResponseError`.
 */
export function runflowBatchItems(client: RunflowClient): ResultPager<RunflowBatchItem> {
  return {
    defaultPageSize: RUNFLOW_ITEMS_PAGE_MAX,
    maxPageSize: RUNFLOW_ITEMS_PAGE_MAX,
    async fetchPage(batch_id, cursor, context) {
      const query: { limit: number; pq?: string } = { limit: context.pageSize };
      if (cursor !== null) query.pq = cursor;
      // The first page also reads the batch: its `items_total` bounds the stream (no endless cursors).
      const [{ data, hints }, batch] = await Promise.all([
        unwrapApiResult(
          'runflow',
          () =>
            client.GET('/v1/batches/{batch_id}/items', {
              params: { path: { batch_id }, query },
              signal: context.signal,
            }),
          parseRunflowError,
          context,
        ),
        cursor === null
          ? unwrapApiResult(
              'runflow',
              () => client.GET('/v1/batches/{id}', { params: { path: { id: batch_id } }, signal: context.signal }),
              parseRunflowError,
              context,
            )
          : undefined,
      ]);
      const items = objectList('runflow', 'items', data.items);
      const next = typeof data.next_pq === 'string' && data.next_pq !== '' ? data.next_pq : null;
      const total = batch?.data.items_total;
      return {
        items: items.map((item, i) => runflowBatchItem(item, context.seen + i)),
        next,
        total: typeof total === 'number' ? total : null,
        hints,
      };
    },
  };
}
