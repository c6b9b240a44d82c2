// Check's job kind as a description: core's client-kit builds the source and the pager from it.
import type { JobKind, KindResults } from '@batchwatch/core/client-kit';
import type { CheckClient } from './client.js';
import { parseCheckError } from './errors.js';
import { paramRules } from './generated/params.gen.js';
import type { components, KnownItemStatus } from './generated/schema.gen.js';
import { CHECK, checkBatchStatusTable, checkItemStatusTable, countOf, refineCheckBatchStatus } from './vocabulary.js';

/** A Check batch as `GET /v1/batch/{id}` returns it. */
export type CheckBatch = components['schemas']['Batch'];
/** One item result as `GET /v1/batch/{id}/results` lists it. */
export type CheckResultItem = components['schemas']['BatchResultItem'];

/** Items per `GET /v1/batch/{id}/results` page: the spec's `limit` maximum. */
export const CHECK_RESULTS_PAGE_MAX = 100;

/** Options for `checkBatchResults`. */
export interface CheckBatchResultsOptions {
  /** Only items in this status (the endpoint's `status` filter). Defaults to every item. */
  status?: KnownItemStatus;
}

const count = (v: unknown): number => (typeof v === 'number' ? v : Number.POSITIVE_INFINITY);

/**
 * The item results of a batch: `GET /v1/batch/{id}/results` with `limit` / `offset` while
 * `pagination.hasMore`, up to the smaller of `pagination.total` and the batch's `totalItems`.
 */
const results: KindResults<
  CheckClient,
  components['schemas']['BatchResults'],
  CheckResultItem,
  CheckBatchResultsOptions
> = {
  operation: 'GET /v1/batch/{id}/results',
  paging: 'offset',
  defaultPageSize: CHECK_RESULTS_PAGE_MAX,
  maxPageSize: CHECK_RESULTS_PAGE_MAX,
  read: ({ client, signal, call, options }, id, { offset, limit }) =>
    call(
      client.GET('/v1/batch/{id}/results', {
        params: {
          path: { id },
          // openapi-fetch leaves an undefined `status` out of the query.
          query: { limit, offset, status: options.status },
        },
        signal,
      }),
    ),
  items: 'items',
  // The smaller of the page's count and the batch's own item count: `jobResults` stops there
  // whatever `hasMore` says, and refuses an empty page that claims more.
  total(page) {
    const total = Math.min(count(page.pagination?.total), count(page.batch?.totalItems));
    return total === Number.POSITIVE_INFINITY ? null : total;
  },
  more: (page) => page.pagination?.hasMore,
  item: {
    status: { field: 'status', table: checkItemStatusTable },
    id: 'id',
    index: 'itemIndex',
    failure(item, status) {
      if (item.errorMessage) return { message: item.errorMessage };
      return status === 'failed' ? { message: 'the item failed without an errorMessage' } : undefined;
    },
  },
};

/** Check batches: `GET /v1/batch/{id}`, cancel with `POST /v1/batch/{id}/cancel`, item results. */
export const checkBatchKind: JobKind<CheckClient, CheckBatch, CheckResultItem> = {
  provider: CHECK,
  kind: 'batch',
  operation: 'GET /v1/batch/{id}',
  idParam: 'id',
  paramRules,
  parseError: parseCheckError,
  read: ({ client, signal, call }, id) => call(client.GET('/v1/batch/{id}', { params: { path: { id } }, signal })),
  status: { field: 'status', table: checkBatchStatusTable, refine: refineCheckBatchStatus },
  progress: { completed: 'processedItems', failed: 'failureCount', total: 'totalItems' },
  timestamps: { createdAt: 'createdAt', startedAt: 'startedAt', finishedAt: 'completedAt' },
  failure(batch, status) {
    if (batch.errorMessage) {
      return { message: batch.errorMessage, ...(batch.validationErrors?.length ? { code: 'validation_error' } : {}) };
    }
    if (status === 'failed' || status === 'partially_succeeded') {
      return {
        code: 'item_failures',
        message: `${countOf(batch.failureCount)} of ${countOf(batch.totalItems)} items failed`,
      };
    }
    return undefined;
  },
  cancel: ({ client, signal, call }, id) =>
    call(client.POST('/v1/batch/{id}/cancel', { params: { path: { id } }, signal })),
  results,
};
