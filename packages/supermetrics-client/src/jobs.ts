import { InvalidResponseError, type JobSnapshot, type JobSource } from '@batchwatch/core';
import { createJobSource, snapshotFromKind, unwrapApiResult } from '@batchwatch/core/client-kit';
import type { SupermetricsClient } from './client.js';
import { parseSupermetricsError } from './errors.js';
import type { components, operations } from './generated/schema.gen.js';
import {
  type SupermetricsBatchQuery,
  type SupermetricsBatchRaw,
  type SupermetricsQueryStatus,
  type SupermetricsQueryStatusOptions,
  type SupermetricsRow,
  supermetricsBatchKind,
  supermetricsQueryKind,
} from './kinds.js';
import { SUPERMETRICS } from './vocabulary.js';

export {
  type SupermetricsBatchRaw,
  type SupermetricsBatchStatus,
  type SupermetricsQueryBatch,
  type SupermetricsQueryStatus,
  type SupermetricsQueryStatusOptions,
  supermetricsBatchKind,
  supermetricsQueryKind,
} from './kinds.js';
export { supermetricsBatchStatus, supermetricsBatchStatusTable, supermetricsQueryStatusTable } from './vocabulary.js';

/** Normalizes a `GET /query/status` body. Progress is `queries_ready / queries_total`; the total may grow. */
export function supermetricsQuerySnapshot(
  body: SupermetricsQueryStatus,
  observedAt: number,
  id = body.meta?.schedule_id ?? '',
): JobSnapshot<SupermetricsQueryStatus> {
  return snapshotFromKind(supermetricsQueryKind, body, observedAt, id);
}

/** Normalizes a batch and its status counters. Progress is finished queries over all queries. */
export function supermetricsBatchSnapshot(
  raw: SupermetricsBatchRaw,
  observedAt: number,
  id = raw.batch.batch_id ?? '',
): JobSnapshot<SupermetricsBatchRaw> {
  return snapshotFromKind(supermetricsBatchKind, raw, observedAt, id);
}

/**
 * A job source for asynchronous queries: polls `GET /query/status` (`json=` form) by schedule id,
 * built from {@link supermetricsQueryKind}. Supermetrics has no cancel for a single query, so this
 * source has no `cancel`.
 */
export function supermetricsQueryStatus(
  client: SupermetricsClient,
  options: SupermetricsQueryStatusOptions = {},
): JobSource<SupermetricsQueryStatus, SupermetricsRow> {
  return createJobSource(supermetricsQueryKind, client, options);
}

/**
 * A job source for query batches, built from {@link supermetricsBatchKind}: reads
 * `GET /query/batch/{batch_id}` and the counters of `GET /query/batch/{batch_id}/status` (two
 * requests a poll) to tell a finished `STOPPED` batch apart. `cancel` sends `DELETE /query/batch/{batch_id}`.
 */
export function supermetricsBatch(client: SupermetricsClient): JobSource<SupermetricsBatchRaw, SupermetricsBatchQuery> {
  return createJobSource(supermetricsBatchKind, client);
}

/** The context types `GET /query/data/{context_type}` accepts. */
export type SupermetricsContextType = operations['startQuery']['parameters']['path']['context_type'];

/**
 * Starts a query asynchronously (`GET /query/data/{context_type}` with `sync_timeout: 0`) and
 * returns its schedule id, to watch with {@link supermetricsQueryStatus}.
 */
export async function startSupermetricsQuery(
  client: SupermetricsClient,
  params: Omit<components['schemas']['QueryDataParams'], 'sync_timeout' | 'api_key'>,
  options: { contextType?: SupermetricsContextType; signal?: AbortSignal; now?: () => number } = {},
): Promise<{ scheduleId: string; snapshot: JobSnapshot<SupermetricsQueryStatus> }> {
  const signal = options.signal ?? new AbortController().signal;
  const now = options.now ?? Date.now;
  const { data } = await unwrapApiResult(
    SUPERMETRICS,
    () =>
      client.GET('/query/data/{context_type}', {
        params: {
          path: { context_type: options.contextType ?? 'json' },
          query: { json: { ...params, sync_timeout: 0 } },
        },
        signal,
      }),
    parseSupermetricsError,
    { signal, now },
  );
  const scheduleId = data.meta?.schedule_id;
  if (!scheduleId) throw new InvalidResponseError(`${SUPERMETRICS} sent no meta.schedule_id for the started query`);
  return { scheduleId, snapshot: supermetricsQuerySnapshot(data, now(), scheduleId) };
}
