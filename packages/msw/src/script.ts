/** The terminal state a scripted job ends in. */
export type JobEnd = 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled';

/** A state a job can be in before its end. `unknown` answers a status string no client knows. */
export type PhaseState = 'queued' | 'running' | 'unknown';

/**
 * One step of a scripted lifecycle. A phase lasts `polls` status reads, or `ms` of scripted time
 * (elapsed clock time x `speed`); with neither it lasts one status read.
 */
export interface Phase {
  /** The normalized state the provider reports during this phase. */
  state: PhaseState;
  /**
   * Fraction of the job's items (or sub-queries, or nodes) finished during this phase, `0..1`.
   * A `[from, to]` pair rises linearly over the phase. Ignored while `queued`. Defaults to `0`.
   */
  progress?: number | readonly [from: number, to: number];
  /** How many status reads this phase answers. Defaults to `1` (when `ms` is not set). */
  polls?: number;
  /** How long this phase lasts in scripted milliseconds (elapsed x `speed`). */
  ms?: number;
  /**
   * The provider's literal status for this phase instead of the default, e.g. `'dispatching'`
   * (Runflow), `'SCHEDULED'` (Supermetrics query), `'validating'` (Check). Defaults to none.
   */
  raw?: string;
}

/** When a fault fires: at a status-read index, or inside a window of scripted time. */
export interface FaultTiming {
  /**
   * The 0-based index of the status read the fault answers first (every read counts, faulted or
   * not). Defaults to `0` when `window` is not set either.
   */
  at?: number;
  /** Fires on every status read whose scripted time since creation is in `[fromMs, toMs)`. */
  window?: readonly [fromMs: number, toMs: number];
  /** How many consecutive status reads it answers, starting at `at`. Defaults to `1` (with `at`). */
  times?: number;
}

/** A failure the mock answers a status read with, instead of (or besides, for `slow`) the job's state. */
export type Fault = FaultTiming &
  (
    | {
        /** HTTP 429 with the provider's real body and `Retry-After`. */
        kind: 'rate-limit';
        /** `Retry-After` in seconds, or `'date'` for an HTTP date 2 s ahead. Defaults to `1`. */
        retryAfter?: number | 'date';
      }
    | {
        /**
         * A 5xx. When the spec documents the status for the operation, the provider's JSON error body;
         * otherwise a plain-text gateway page.
         */
        kind: 'server-error';
        /** Defaults to the provider's documented 5xx for the operation (Supermetrics/Check 500, Runflow 503). */
        status?: 500 | 502 | 503;
      }
    | {
        /** Answers normally, after `delayMs` of wall-clock time (not scaled by `speed`). */
        kind: 'slow';
        delayMs: number;
      }
    | { /** HTTP 200 with the job's body cut in half (invalid JSON). */ kind: 'malformed' }
    | { /** HTTP 502 with an HTML page from a proxy. */ kind: 'html' }
    | {
        /** The job's current body with its status replaced by `raw`. */
        kind: 'unknown-status';
        /** Defaults to the script's `unknownStatus`, then `PAUSED` in the provider's casing. */
        raw?: string;
      }
    | { /** HTTP 401 with the provider's real body (and `WWW-Authenticate` for Supermetrics). */ kind: 'unauthorized' }
    | { /** HTTP 404 with the provider's real body for the endpoint. */ kind: 'not-found' }
  );

/** The kinds of {@link Fault}. */
export type FaultKind = Fault['kind'];

/**
 * A scripted lifecycle. Status reads walk through `phases`, then the job stays at `end`.
 *
 * - A status read is a GET of the job's status endpoint (Supermetrics `GET /query/status`, or for a
 *   batch `GET /query/batch/{id}` and the first page of its `/status`, counted separately so reading
 *   both in one poll is one step; Runflow `GET /v1/batches/{id}` or `GET /v1/runs/{id}`; Check
 *   `GET /v1/batch/{id}`). Other reads (items, results, lists) see the current state without moving it.
 * - A results read is a page of results: Runflow `GET /v1/batches/{id}/items`, Check
 *   `GET /v1/batch/{id}/results`, Supermetrics `GET /query/results`, `GET /query/batch/{id}/status`
 *   with an `offset`, and `GET /query/status` with `offset_start` once the query ended. It never
 *   moves the lifecycle; `resultFaults` and `resultTotals` count these reads.
 * - A fault (other than `slow`) is inserted: it answers that read and the lifecycle does not move,
 *   so the next read gets the step the faulted one would have got.
 * - `ms` phases move with the clock (scripted time = elapsed x `speed`), so vitest fake timers or a
 *   fast demo drive them; `polls` phases move with reads. Both may be mixed.
 */
export interface JobScript {
  /** The phases before the end. Defaults to none: the first read already shows the end. */
  phases: readonly Phase[];
  /**
   * Items in the job (Supermetrics query: sub-queries; Runflow run: nodes). Defaults to the
   * request's item count for created jobs, else 10 (Supermetrics query 4, Runflow run 4).
   */
  total?: number;
  /** Totals over time: `totalGrowth[k]` is the total at the k-th status read; the last one holds. */
  totalGrowth?: readonly number[];
  /** Where the job ends. Defaults to `'succeeded'`. */
  end?: JobEnd;
  /**
   * The provider's literal status at the end instead of the end's default: another status the
   * provider shows for `end`, e.g. `'expired'` for an OpenAI batch that ends `failed`. Defaults to none.
   */
  endRaw?: string;
  /** For `partially_succeeded`: the share of items that fail, at least one and not all. Defaults to `0.2`. */
  failureRate?: number;
  /**
   * Supermetrics queries: result rows once `SUCCESS`, up to 1,000,000. Rows are generated per page
   * from (seed, id, index), never held. Defaults to `10`.
   */
  rows?: number;
  /** Faults answered on demand. Defaults to none. */
  faults?: readonly Fault[];
  /**
   * Faults answered on results reads instead of status reads: `at` counts the job's results reads
   * (0-based, every one counts, faulted or not), so `{ kind: 'server-error', at: 2 }` fails the
   * third page once and its retry gets that page. Defaults to none.
   */
  resultFaults?: readonly Fault[];
  /**
   * Result totals over results reads: `resultTotals[k]` is what the k-th results read sees (rows of
   * a Supermetrics query; queries or items of a batch), the last one holds. For a total that changes
   * between pages. Defaults to the job's own total.
   */
  resultTotals?: readonly number[];
  /** The raw status of `unknown` phases and `unknown-status` faults. Defaults to `PAUSED` in the provider's casing. */
  unknownStatus?: string;
}

/** Options for {@link script.lifecycle}. */
export interface LifecycleOptions {
  /** Status reads answered `queued` first. Defaults to `1`. */
  queuedPolls?: number;
  /** Progress of each `running` read, one read each. Defaults to `[0.5, 1]`. */
  progress?: readonly number[];
  /** Defaults to `'succeeded'`. */
  end?: JobEnd;
}

/** Options for {@link script.timed}. */
export interface TimedOptions {
  /** Scripted milliseconds spent `queued`. Defaults to `1000`. */
  queuedMs?: number;
  /** Scripted milliseconds spent `running`, progress rising from 0 to 1. Defaults to `5000`. */
  runningMs?: number;
  /** Defaults to `'succeeded'`. */
  end?: JobEnd;
}

/** Builders for common {@link JobScript}s; spread extra fields (`faults`, `total`, ...) over the result. */
export const script = {
  /**
   * Counted by status reads: `queuedPolls` reads `queued`, one `running` read per `progress` value, then `end`.
   * @example script.lifecycle({ queuedPolls: 2, progress: [0.1, 0.6, 1], end: 'succeeded' })
   */
  lifecycle(options: LifecycleOptions = {}): JobScript {
    const { queuedPolls = 1, progress = [0.5, 1], end = 'succeeded' } = options;
    const phases: Phase[] = queuedPolls > 0 ? [{ state: 'queued', polls: queuedPolls }] : [];
    for (const p of progress) phases.push({ state: 'running', progress: p, polls: 1 });
    return { phases, end };
  },
  /**
   * Driven by the clock (elapsed x `speed`): `queued` for `queuedMs`, `running` with progress rising
   * over `runningMs`, then `end`.
   * @example script.timed({ queuedMs: 1000, runningMs: 4000, end: 'failed' })
   */
  timed(options: TimedOptions = {}): JobScript {
    const { queuedMs = 1000, runningMs = 5000, end = 'succeeded' } = options;
    return {
      phases: [
        { state: 'queued', ms: queuedMs },
        { state: 'running', ms: runningMs, progress: [0, 1] },
      ],
      end,
    };
  },
} as const;

/** A cursor over a script's phases; it only moves forward. */
export interface ScriptCursor {
  /** The current phase's index (`phases.length` once the end is reached). */
  index: number;
  /** The lifecycle step the current phase started at. */
  startStep: number;
  /** The scripted millisecond the current phase started at. */
  startMs: number;
}

/** The progress a phase reports at `fraction` of its length. */
export function phaseProgress(phase: Phase, fraction: number): number {
  if (phase.state === 'queued') return 0;
  const p = phase.progress ?? 0;
  const value = typeof p === 'number' ? p : p[0] + (p[1] - p[0]) * fraction;
  return Math.min(1, Math.max(0, value));
}

/** The fault that answers status read `read` at scripted time `ms`, if any. */
export function faultAt(faults: readonly Fault[] | undefined, read: number, ms: number): Fault | undefined {
  return faults?.find((f) => {
    if (f.window) {
      const inWindow = ms >= f.window[0] && ms < f.window[1];
      if (f.at === undefined) return inWindow;
      if (!inWindow) return false;
    }
    const at = f.at ?? 0;
    return read >= at && read < at + (f.times ?? 1);
  });
}
