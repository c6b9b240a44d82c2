import type { ResultItem, ResultPager } from '@batchwatch/core';
import { createResultPager, itemFromKind } from '@batchwatch/core/client-kit';
import type { CheckClient } from './client.js';
import { type CheckBatchResultsOptions, type CheckResultItem, checkBatchKind } from './kinds.js';

export { CHECK_RESULTS_PAGE_MAX, type CheckBatchResultsOptions, type CheckResultItem } from './kinds.js';
export { checkItemStatusTable } from './vocabulary.js';

/** Normalizes one item result; `index` is used when the item has no `itemIndex`. */
export function checkResultItem(item: CheckResultItem, index: number): ResultItem<CheckResultItem> {
  return itemFromKind(checkBatchKind.results?.item, item, index);
}

/**
 * The item results of a batch, for `jobResults`: pages `GET /v1/batch/{id}/results` with
 * `limit` / `offset` (at most 100 a page) while `pagination.hasMore`, one item per verification
 * with `errorMessage` as `failure` and the full result as `raw`. Attached as `results` to
 * `checkBatch(client)`. The stream stops at `pagination.total` (or the batch's `totalItems` when
 * smaller) even when `hasMore` says more; an empty page that claims more, or more items than the
 * total, is an `InvalidResponseError`.
 */
export function checkBatchResults(
  client: CheckClient,
  options: CheckBatchResultsOptions = {},
): ResultPager<CheckResultItem> {
  return createResultPager(checkBatchKind, client, options);
}
