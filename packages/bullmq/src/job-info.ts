import type { JobHandle } from '@batchwatch/core';
import type { Job, Queue } from 'bullmq';
import type { FleetJobInfo } from './fleet.js';
import { fleetJobId } from './keys.js';
import { type FleetJobData, isStoredSnapshot, loadSnapshot, unpackHandle } from './snapshot.js';
import { printable } from './sources.js';
import { FleetJobError } from './watch.js';

/** @internal Reads what Redis holds about a provider job from its provider's queue; `undefined` when there is no such job. */
export async function readJobInfo(
  queue: Queue,
  provider: string,
  kind: string,
  id: string,
): Promise<FleetJobInfo | undefined> {
  let job: Job | undefined;
  try {
    job = await queue.getJob(fleetJobId(provider, kind, id));
  } catch (error) {
    // The job's data is not JSON: a worker fails it; until then say so.
    return {
      state: 'unknown',
      snapshot: undefined,
      handle: undefined,
      error: new FleetJobError(`InvalidHandleError: ${printable(String((error as Error).message), 120)}`),
    };
  }
  if (!job) return undefined;
  const state = await job.getState();
  const data = job.data as FleetJobData | null;
  const handle =
    data && typeof data === 'object' && data.handle
      ? (unpackHandle({ provider, kind, id }, data.handle) as JobHandle)
      : undefined;
  const stored: unknown = state === 'completed' ? job.returnvalue : job.progress;
  const info: FleetJobInfo = {
    state,
    snapshot: isStoredSnapshot(stored) ? loadSnapshot(provider, kind, id, stored) : undefined,
    handle,
  };
  if (state === 'failed') info.error = new FleetJobError(await failedReason(queue, job));
  return info;
}

// The job may have failed between reading it and reading its state: its reason is in Redis by now.
async function failedReason(queue: Queue, job: Job): Promise<string> {
  const reason = job.failedReason || (await queue.getJob(job.id ?? '').catch(() => undefined))?.failedReason;
  return reason || 'failed';
}
