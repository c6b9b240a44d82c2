import {
  AuthenticationError,
  isTransientError,
  type JobSnapshot,
  type JobSource,
  type JobWatch,
  NotFoundError,
  PermissionDeniedError,
  PollTimeoutError,
} from '@batchwatch/core';
import { createJobScheduler, type ScheduledWatchOptions } from '@batchwatch/core/scheduler';
import type { JobRef } from './refs.js';
import { barReporter, type JobRow, lineReporter, ndjsonReporter, type Output, type Reporter } from './report.js';
import { redactor } from './text.js';

/** The CLI's exit codes. */
export const EXIT = {
  /** Every job succeeded. */
  ok: 0,
  /** A job failed, partially succeeded, was cancelled, or its watch met a fatal error. */
  jobFailed: 1,
  /** Bad arguments, a missing key or an invalid id: nothing was polled. */
  usage: 2,
  /** `--timeout` passed before every job ended. */
  timeout: 3,
  /** Interrupted (Ctrl-C); polling was aborted cleanly. */
  interrupted: 130,
} as const;

/** Settings of {@link watchJobs}. */
export interface WatchSettings {
  /** NDJSON on stdout instead of bars or lines. */
  json: boolean;
  /** Per-job deadline. Defaults to none. */
  timeoutMs?: number;
  /** Shortest wait between polls of a job. Defaults to the core's `1000`. */
  minIntervalMs?: number;
  /** Longest wait between polls of a job. Defaults to the core's `30000`. */
  maxIntervalMs?: number;
  /** Aborts every watch (Ctrl-C). */
  signal: AbortSignal;
  /** Where reports go; a TTY gets live progress bars. */
  stdout: Output;
  /** Keys to redact from everything printed (a provider may echo one in an error). Defaults to none. */
  secrets?: readonly string[];
  /**
   * Where each provider's key came from, named in the hint of a 401 or 403
   * (`{ runflow: 'RUNFLOW_API_TOKEN' }`). Defaults to none.
   */
  keyNames?: Readonly<Record<string, string>>;
  /** The clock for elapsed times. Defaults to `Date.now`. */
  now?: () => number;
  /** Asks the provider to cancel a job the first time this returns true for one of its snapshots. */
  cancelWhen?: (ref: JobRef, snapshot: JobSnapshot) => boolean;
  /** Opens each watch somewhere else than this process's scheduler (`watch --redis`: a fleet). Defaults to the scheduler. */
  watchWith?: (ref: JobRef, options: ScheduledWatchOptions) => JobWatch;
}

/** What {@link watchJobs} ends with: the exit code and how each job ended. */
export interface WatchResult {
  /** See {@link EXIT}. */
  exitCode: number;
  /** One row per job, in the order given. */
  rows: JobRow[];
}

/** Bars on a TTY, lines on a pipe, NDJSON with `json`. */
function reporterFor(settings: WatchSettings, now: () => number, redact: (text: string) => string): Reporter {
  return settings.json
    ? ndjsonReporter(settings.stdout, redact)
    : settings.stdout.isTTY
      ? barReporter(settings.stdout, now, redact)
      : lineReporter(settings.stdout, now, redact);
}

/** A row per job, waiting for its first snapshot. */
function waitingRows(refs: readonly JobRef[], started: number): JobRow[] {
  return refs.map((ref) => ({
    ref: ref.text,
    status: 'waiting',
    rawStatus: null,
    completed: 0,
    failed: 0,
    total: null,
    fraction: null,
    startedAt: started,
    nextPollAt: null,
  }));
}

/** Copies a snapshot into its row. */
function showSnapshot(row: JobRow, snapshot: JobSnapshot): void {
  row.status = snapshot.status;
  row.rawStatus = snapshot.rawStatus;
  row.completed = snapshot.progress.completed;
  row.failed = snapshot.progress.failed;
  row.total = snapshot.progress.total;
  row.fraction = snapshot.progress.fraction;
  row.estimate = snapshot.estimate;
}

/** Opens the watch of one job: its snapshots and polls fill `row` and go to the reporter; `cancelWhen` may cancel it once. */
function openWatch(
  ref: JobRef,
  row: JobRow,
  open: (options: ScheduledWatchOptions) => JobWatch,
  reporter: Reporter,
  settings: WatchSettings,
): JobWatch {
  let cancelSent = false;
  const watch: JobWatch = open({
    signal: settings.signal,
    resolveOnUnsuccessful: true,
    onSnapshot(snapshot: JobSnapshot) {
      showSnapshot(row, snapshot);
      reporter.snapshot(row, snapshot);
      if (!cancelSent && !snapshot.isTerminal && settings.cancelWhen?.(ref, snapshot)) {
        cancelSent = true;
        // The outcome shows in `done`; a failed cancel request only ends up in the row's message.
        watch.cancel().catch((error: unknown) => {
          row.message = `cancel failed: ${(error as Error).message}`;
        });
      }
    },
    onPoll(event) {
      row.nextPollAt = event.delayMs === null ? null : event.at + event.durationMs + event.delayMs;
      // An error that ended polling is told with the outcome (and why), not as a retry.
      row.pollError =
        event.error === undefined || event.delayMs === null
          ? undefined
          : `${event.httpStatus ? `HTTP ${event.httpStatus}` : (event.error as Error).name}, ${event.delaySource === 'server' ? 'Retry-After' : 'backoff'}`;
      reporter.poll(row);
    },
  });
  return watch;
}

/** Waits for the watch's end and writes its outcome into `row`; rejects as the watch does. */
async function endOf(
  watch: JobWatch,
  ref: JobRef,
  row: JobRow,
  reporter: Reporter,
  settings: WatchSettings,
  now: () => number,
): Promise<void> {
  try {
    const final = await watch.done;
    row.outcome = final.status;
    if (final.failure && final.status !== 'succeeded') row.message = final.failure.message;
  } catch (error) {
    row.outcome = settings.signal.aborted ? 'interrupted' : error instanceof PollTimeoutError ? 'timeout' : 'error';
    row.message = `${(error as Error).message}${row.outcome === 'error' ? ` (${whyEnded(error, ref, settings.keyNames)})` : ''}`;
    throw error;
  } finally {
    row.endedAt = now();
    row.nextPollAt = null;
    reporter.end(row);
  }
}

/** The exit code of a watch of several jobs: interrupted, then a timeout, then whether every job succeeded. */
function exitCodeOf(rows: readonly JobRow[], results: readonly PromiseSettledResult<void>[], signal: AbortSignal) {
  return signal.aborted
    ? EXIT.interrupted
    : rows.some((r) => r.outcome === 'timeout')
      ? EXIT.timeout
      : results.every((r) => r.status === 'fulfilled') && rows.every((r) => r.outcome === 'succeeded')
        ? EXIT.ok
        : EXIT.jobFailed;
}

/** Watches every job to its end with one scheduler and reports as it goes. */
export async function watchJobs(
  refs: readonly JobRef[],
  sources: readonly JobSource[],
  settings: WatchSettings,
): Promise<WatchResult> {
  const now = settings.now ?? Date.now;
  const reporter = reporterFor(settings, now, redactor(settings.secrets ?? []));
  const scheduler = createJobScheduler({
    maxConcurrent: 8,
    ...(settings.minIntervalMs !== undefined
      ? { minIntervalMs: settings.minIntervalMs, initialIntervalMs: settings.minIntervalMs }
      : {}),
    ...(settings.maxIntervalMs !== undefined ? { maxIntervalMs: settings.maxIntervalMs } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
  });
  const rows = waitingRows(refs, now());
  reporter.begin?.(rows);
  const watches = refs.map((ref, i) =>
    openWatch(
      ref,
      rows[i] as JobRow,
      (options) =>
        settings.watchWith
          ? settings.watchWith(ref, options)
          : scheduler.watch(sources[i] as JobSource, ref.id, options),
      reporter,
      settings,
    ),
  );
  const results = await Promise.allSettled(
    watches.map((watch, i) => endOf(watch, refs[i] as JobRef, rows[i] as JobRow, reporter, settings, now)),
  );
  await scheduler.close();
  reporter.close(rows);
  return { exitCode: exitCodeOf(rows, results, settings.signal), rows };
}

/**
 * Why an error ended a watch, and what to check: `fatal: the key was refused, check RUNFLOW_API_TOKEN`.
 * @internal
 */
export function whyEnded(error: unknown, ref: JobRef, keyNames: Readonly<Record<string, string>> = {}): string {
  const key = keyNames[ref.provider] ?? `the ${ref.provider} key`;
  if (error instanceof AuthenticationError) return `fatal: the key was refused, check ${key}`;
  if (error instanceof PermissionDeniedError) return `fatal: the key may not read this job, check ${key}`;
  if (error instanceof NotFoundError) return `fatal: no such ${ref.provider} ${ref.kind}, check the id`;
  if (isTransientError(error)) return 'gave up: too many errors in a row';
  return 'fatal';
}
