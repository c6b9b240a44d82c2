// The errors of `@batchwatch/core/results` (re-exported by its index).
import { BatchwatchError } from '../errors.js';
import type { JobSnapshot } from '../job-state.js';

/** A job had more results than the caller allowed to collect (`toArray({ max })`). */
export class ResultLimitError extends BatchwatchError {
  override name = 'ResultLimitError';
  /** The limit that was passed. */
  readonly max: number;
  constructor(max: number) {
    super(`the job has more than ${max} results: iterate with for await (constant memory) or raise max`);
    this.max = max;
  }
}

/**
 * The job cannot have results yet (e.g. a Supermetrics query that is still `RUNNING`). Fatal: it is
 * not retried. Wait for the job first (`waitForJob`).
 */
export class ResultsNotReadyError<TRaw = unknown> extends BatchwatchError {
  override name = 'ResultsNotReadyError';
  /** The job as the results endpoint showed it. */
  readonly snapshot: JobSnapshot<TRaw>;
  constructor(snapshot: JobSnapshot<TRaw>) {
    super(
      `${snapshot.provider} ${snapshot.kind} ${snapshot.id} has no results yet (status ${snapshot.rawStatus ?? snapshot.status}): wait for it to end first`,
    );
    this.snapshot = snapshot;
  }
}
