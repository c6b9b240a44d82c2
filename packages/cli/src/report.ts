import type { JobSnapshot, JobStatus } from '@batchwatch/core';
import cliProgress from 'cli-progress';

/** How one watched job stands, for display. */
export interface JobRow {
  ref: string;
  status: JobStatus | 'waiting';
  rawStatus: string | null;
  completed: number;
  failed: number;
  total: number | null;
  fraction: number | null;
  startedAt: number;
  /** Clock ms of the next poll, when one is scheduled. */
  nextPollAt: number | null;
  /** How the job ended, once it did. */
  outcome?: JobStatus | 'timeout' | 'error' | 'interrupted';
  /** The error that ended the watch, if any. */
  message?: string;
  /** The last poll's transient error (a 429, a 5xx...), cleared by the next good poll. */
  pollError?: string | undefined;
  endedAt?: number;
}

/** Where the watch command sends what happens. */
export interface Reporter {
  /** A job's snapshot changed. */
  snapshot(row: JobRow, snapshot: JobSnapshot): void;
  /** A poll answered (or failed); `row.nextPollAt` says when the next one goes. */
  poll(row: JobRow): void;
  /** A job's watch ended; `row.outcome` says how. */
  end(row: JobRow): void;
  /** Every watch ended: print the summary. */
  close(rows: readonly JobRow[]): void;
}

/** A writable text stream such as `process.stdout`. */
export interface Output {
  /** Writes text as it is. */
  write(text: string): unknown;
  /** Whether it is a terminal (live progress bars) or not (line logs). */
  isTTY?: boolean;
  /** Terminal width, when it is one. */
  columns?: number;
}

const MAX_REF = 48;

/** Keeps the provider, kind and both ends of a long id: `supermetrics:query:74a9…e105cb6`. */
function shorten(ref: string, max: number): string {
  if (ref.length <= max) return ref;
  const keep = max - 1;
  return `${ref.slice(0, Math.ceil(keep / 2))}…${ref.slice(ref.length - Math.floor(keep / 2))}`;
}

const seconds = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)}s`;

function counts(row: JobRow): string {
  const total = row.total === null ? '?' : String(row.total);
  const failed = row.failed > 0 ? ` (${row.failed} failed)` : '';
  return `${row.completed}/${total}${failed}`;
}

function label(row: JobRow): string {
  return row.outcome ?? row.status;
}

/** One line per change, for logs and pipes. */
export function lineReporter(out: Output, now: () => number): Reporter {
  const stamp = () => new Date(now()).toISOString().slice(11, 19);
  return {
    snapshot(row) {
      const raw = row.rawStatus && row.rawStatus !== row.status ? ` [${row.rawStatus}]` : '';
      out.write(`${stamp()} ${row.ref} ${row.status}${raw} ${counts(row)}\n`);
    },
    poll(row) {
      if (row.pollError)
        out.write(
          `${stamp()} ${row.ref} poll failed (${row.pollError}), next poll in ${seconds((row.nextPollAt ?? now()) - now())}\n`,
        );
    },
    end(row) {
      const why = row.message ? `: ${row.message}` : '';
      out.write(
        `${stamp()} ${row.ref} ended ${label(row)} ${counts(row)} after ${seconds((row.endedAt ?? now()) - row.startedAt)}${why}\n`,
      );
    },
    close(rows) {
      out.write(summary(rows, now));
    },
  };
}

/** One JSON object per changed snapshot (NDJSON), then one per job that ended without a terminal snapshot. */
export function ndjsonReporter(out: Output): Reporter {
  return {
    snapshot(row, snapshot) {
      out.write(`${JSON.stringify({ ref: row.ref, ...snapshot })}\n`);
    },
    poll() {},
    end(row) {
      if (row.outcome === 'timeout' || row.outcome === 'error' || row.outcome === 'interrupted') {
        out.write(`${JSON.stringify({ ref: row.ref, outcome: row.outcome, error: row.message ?? null })}\n`);
      }
    },
    close() {},
  };
}

/** Live progress bars (cli-progress), one per job, redrawn four times a second for the countdowns. */
export function barReporter(out: Output & NodeJS.WritableStream, now: () => number): Reporter {
  const multibar = new cliProgress.MultiBar(
    {
      stream: out,
      clearOnComplete: false,
      hideCursor: true,
      autopadding: true,
      barsize: 24,
      format: (options, params, payload: { row: JobRow }) => {
        const row = payload.row;
        const bar = cliProgress.Format.BarFormat(params.progress, options);
        const pct = row.fraction === null ? '  ?%' : `${String(Math.round(row.fraction * 100)).padStart(3)}%`;
        const elapsed = seconds((row.endedAt ?? now()) - row.startedAt);
        const next =
          row.outcome !== undefined
            ? row.message
              ? `  ${row.message}`
              : ''
            : row.nextPollAt === null
              ? ''
              : `  next poll ${seconds(row.nextPollAt - now())}${row.pollError ? ` (${row.pollError})` : ''}`;
        return `${shorten(row.ref, width).padEnd(width)} ${bar} ${pct} ${label(row).padEnd(19)} ${counts(row).padEnd(16)} ${elapsed.padStart(6)}${next}`;
      },
    },
    cliProgress.Presets.shades_classic,
  );
  let width = 0;
  const bars = new Map<string, cliProgress.SingleBar>();
  const draw = (row: JobRow) => {
    width = Math.max(width, Math.min(MAX_REF, row.ref.length));
    let bar = bars.get(row.ref);
    if (!bar) {
      bar = multibar.create(1, 0, { row });
      bars.set(row.ref, bar);
    }
    bar.update(row.fraction ?? 0, { row });
  };
  const timer = setInterval(() => multibar.update(), 250);
  timer.unref();
  return {
    snapshot: draw,
    poll: draw,
    end: draw,
    close(rows) {
      clearInterval(timer);
      for (const row of rows) draw(row);
      multibar.stop();
      out.write(summary(rows, now));
    },
  };
}

function summary(rows: readonly JobRow[], now: () => number): string {
  const byOutcome = new Map<string, number>();
  for (const row of rows) byOutcome.set(label(row), (byOutcome.get(label(row)) ?? 0) + 1);
  const parts = [...byOutcome.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
  const longest = Math.max(0, ...rows.map((r) => (r.endedAt ?? now()) - r.startedAt));
  return `\n${rows.length} job${rows.length === 1 ? '' : 's'}: ${parts} (${seconds(longest)})\n`;
}
