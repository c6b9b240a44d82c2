import type { ResultItem, ResultPager } from '@batchwatch/core';
import { createResultPager, itemFromKind } from '@batchwatch/core/client-kit';
import type { RunflowClient } from './client.js';
import { type RunflowBatchItem, runflowBatchKind } from './kinds.js';

export { RUNFLOW_ITEMS_PAGE_MAX, type RunflowBatchItem } from './kinds.js';
export { runflowItemStatusTable } from './vocabulary.js';

/** Normalizes one batch item; `index` is used when the item has no `sequence_index`. */
export function runflowBatchItem(item: RunflowBatchItem, index: number): ResultItem<RunflowBatchItem> {
  return itemFromKind(runflowBatchKind.results?.item, item, index);
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
  return createResultPager(runflowBatchKind, client);
}
