import type { ResultItem, ResultPager } from '@batchwatch/core';
import { objectList, unwrapApiResult } from '@batchwatch/core/client-kit';
import { type ItemStatusTable, mapItemStatus, offsetCursor } from '@batchwatch/core/results';
import type { CheckClient } from './client.js';
import { parseCheckError } from './errors.js';
import type { components, KnownItemStatus } from './generated/schema.gen.js';

/** One item result as `GET /v1/batch/{id}/results` lists it. */
export type CheckResultItem = components['schemas']['BatchResultItem'];

/** Items per `GET /v1/batch/{id}/results` page: the spec's `limit` maximum. */
export const CHECK_RESULTS_PAGE_MAX = 100;

/**
 * Every documented item `status` and its `ItemStatus`: `completed` is `succeeded`, `skipped` (a
 * pending item removed by a batch cancel) stays `skipped`, the unfinished ones are `pending`.
 */
export const checkItemStatusTable: ItemStatusTable<KnownItemStatus> = {
  pending: 'pending',
  queued: 'pending',
  processing: 'pending',
  completed: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
};

/** Normalizes one item result; `index` is used when the item has no `itemIndex`. */
export function checkResultItem(item: CheckResultItem, index: number): ResultItem<CheckResultItem> {
  const status = mapItemStatus(checkItemStatusTable, item.status, 'status');
  const out: ResultItem<CheckResultItem> = {
    id: item.id,
    index: typeof item.itemIndex === 'number' ? item.itemIndex : index,
    status,
    raw: item,
  };
  if (item.errorMessage) out.failure = { message: item.errorMessage };
  else if (status === 'failed') out.failure = { message: 'the item failed without an errorMessage' };
  return out;
}

const count = (v: unknown): number => (typeof v === 'number' ? v : Number.POSITIVE_INFINITY);

/** Options for {@link checkBatchResults}. */
export interface CheckBatchResultsOptions {
  /** Only items in this status (the endpoint's `status` filter). Defaults to every item. */
  status?: KnownItemStatus;
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
  return {
    defaultPageSize: CHECK_RESULTS_PAGE_MAX,
    maxPageSize: CHECK_RESULTS_PAGE_MAX,
    async fetchPage(id, cursor, context) {
      const offset = offsetCursor(cursor);
      const query: { limit: number; offset: number; status?: KnownItemStatus } = { limit: context.pageSize, offset };
      if (options.status !== undefined) query.status = options.status;
      const { data, hints } = await unwrapApiResult(
        'check',
        () => client.GET('/v1/batch/{id}/results', { params: { path: { id }, query }, signal: context.signal }),
        parseCheckError,
        context,
      );
      const items = objectList('check', 'items', data.items);
      // The smaller of the page's count and the batch's own item count: `jobResults` stops there
      // whatever `hasMore` says, and refuses an empty page that claims more.
      const total = Math.min(count(data.pagination?.total), count(data.batch?.totalItems));
      const after = offset + items.length;
      const more = data.pagination?.hasMore ?? after < total;
      return {
        items: items.map((item, i) => checkResultItem(item, offset + i)),
        next: more ? String(after) : null,
        total: total === Number.POSITIVE_INFINITY ? null : total,
        hints,
      };
    },
  };
}
