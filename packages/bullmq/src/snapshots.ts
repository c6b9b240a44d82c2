import {
  AuthenticationError,
  BadRequestError,
  HttpError,
  type JobSnapshot,
  type JobSource,
  NotFoundError,
  PermissionDeniedError,
  type SourceContext,
  type SourceResult,
  ValidationError,
} from '@batchwatch/core';
import type { JobSourceMap } from '@batchwatch/core/http';
import type { Fleet, FleetJobInfo } from './fleet.js';
import { positive } from './limits.js';
import type { FleetJobError } from './watch.js';

/** Options of {@link fleetSnapshots}. */
export interface FleetSnapshotsOptions {
  /**
   * How long a read of a job the fleet has no snapshot of yet (just added) waits for a worker's
   * first poll before it answers with what Redis holds. Defaults to `10_000` ms.
   */
  firstSnapshotTimeoutMs?: number;
}

/**
 * Job sources that read snapshots from the fleet instead of the provider, one per provider and kind
 * of the fleet's sources, shaped for `createJobStatusHandler({ sources: fleetSnapshots(fleet) })`:
 * any number of browsers watching a job cost Redis reads, not provider requests. A job the fleet
 * does not have yet is added (the workers poll it) and the read waits for its first snapshot. The
 * `Retry-After` hint says when the workers poll next, so browsers ask again when there is news.
 * `cancel` goes through `fleet.cancel` where the provider can cancel. A job whose watch failed
 * answers like the provider's error would have (404, 502...).
 */
export function fleetSnapshots(fleet: Fleet, options: FleetSnapshotsOptions = {}): JobSourceMap {
  const { firstSnapshotTimeoutMs = 10_000 } = options;
  positive(firstSnapshotTimeoutMs, 'firstSnapshotTimeoutMs');
  const map: Record<string, Record<string, JobSource<unknown>>> = {};
  for (const source of fleet.sources) {
    const { provider, kind } = source;
    const fromFleet: JobSource<unknown> = {
      provider,
      kind,
      async fetchSnapshot(id: string, context: SourceContext): Promise<SourceResult<unknown>> {
        let info = await fleet.get(provider, kind, id);
        if (!info?.snapshot && info?.state !== 'failed')
          info = await firstSnapshot(fleet, source, id, context, firstSnapshotTimeoutMs);
        if (info?.state === 'failed' && info.error) throw asSourceError(provider, info.error);
        if (!info?.snapshot) {
          throw new HttpError({ provider, status: 503, message: 'no snapshot yet', retryAfterMs: 1000 });
        }
        return { snapshot: info.snapshot, hints: hintsOf(info, context.now()) };
      },
    };
    if (source.validateId) fromFleet.validateId = (id: string) => source.validateId?.(id);
    if (source.cancel) {
      fromFleet.cancel = async (id: string) => {
        await fleet.cancel(provider, kind, id);
        return undefined;
      };
    }
    map[provider] ??= {};
    (map[provider] as Record<string, JobSource<unknown>>)[kind] = fromFleet;
  }
  return map;
}

function hintsOf(info: FleetJobInfo, now: number): SourceResult<unknown>['hints'] {
  if (info.snapshot?.isTerminal || !info.handle) return {};
  const wait = info.handle.nextPollAt - now;
  return wait > 0 ? { retryAfterMs: Math.ceil(wait) } : {};
}

// Adds the job and waits (up to `timeoutMs`, or the request's abort) for a worker's first answer.
async function firstSnapshot(
  fleet: Fleet,
  source: JobSource<unknown>,
  id: string,
  context: SourceContext,
  timeoutMs: number,
): Promise<FleetJobInfo | undefined> {
  const watch = fleet.watch(source.provider, source.kind, id, { resolveOnUnsuccessful: true });
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        context.signal.removeEventListener('abort', finish);
        resolve();
      };
      context.signal.addEventListener('abort', finish, { once: true });
      watch.subscribe((_: JobSnapshot<unknown>) => finish());
      watch.done.then(finish, finish);
    });
  } finally {
    watch.stop();
  }
  if (context.signal.aborted) throw context.signal.reason;
  return fleet.get(source.provider, source.kind, id);
}

// The error a provider would have answered with, so the handler maps it the same way.
function asSourceError(provider: string, error: FleetJobError): Error {
  const details = { provider, message: error.message };
  switch (error.errorName) {
    case 'NotFoundError':
      return new NotFoundError({ ...details, status: 404 });
    case 'AuthenticationError':
      return new AuthenticationError({ ...details, status: 401 });
    case 'PermissionDeniedError':
      return new PermissionDeniedError({ ...details, status: 403 });
    case 'BadRequestError':
      return new BadRequestError({ ...details, status: 400 });
    case 'ValidationError':
      return new ValidationError('id', 'an id the provider accepts');
    default:
      return new HttpError({ ...details, status: 502 });
  }
}
