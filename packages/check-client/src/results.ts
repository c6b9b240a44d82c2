import type { ResultItem, ResultPager } from '@batchwatch/core';
import { unwrapApiResult } from '@batchwatch/core/client-kit';
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
  const status = mapItemStatus(checkItemStatusTable, item.status);
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

/** Options for {@link checkBatchResults}. */
export interface CheckBatchResultsOptions {
  /** Only items in this status (the endpoint's `status` filter). Defaults to every item. */
  status?: KnownItemStatus;
}

/**
 * The item results of a batch, for `jobResults`: pages `GET /v1/batch/{id}/results` with
 * `limit` / `offset` (at most 100 a page) while `pagination.hasMore`, one item per verification
 * with `errorMessage` as `failure` and the full result as `raw`. Attached as `results` to
 * `checkBatch(client)`.
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
      const items = data.items ?? [];
      const total = typeof data.pagination?.total === 'number' ? data.pagination.total : null;
      const after = offset + items.length;
      // `hasMore` decides; an empty page ends the stream even when it claims more (no endless loop).
      const more = items.length > 0 && (data.pagination?.hasMore ?? (total !== null && after < total));
      return {
        items: items.map((item, i) => checkResultItem(item, offset + i)),
        next: more ? String(after) : null,
        total,
        hints,
      };
    },
  };
}
