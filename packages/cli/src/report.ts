import type { JobEstimate, JobSnapshot, JobStatus } from '@batchwatch/core';
import cliProgress from 'cli-progress';
import { planColumns, type RowCells, renderRow } from './layout.js';
import { boundedJsonLine, duration, elideMiddle, inert, type Redact, truncate } from './text.js';

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
  /** When the job will probably end, from the last snapshot that carried an estimate. */
  estimate?: JobEstimate | undefined;
  /** How the job ended, once it did. */
  outcome?: JobStatus | 'timeout' | 'error' | 'interrupted';
  /** Why it did not succeed: the provider's failure message, or the error that ended the watch. */
  message?: string;
  /** The last poll's transient error (a 429, a 5xx...) being retried, cleared by the next good poll. */
  pollError?: string | undefined;
  endedAt?: number;
}

/** Where the watch command sends what happens. */
export interface Reporter {
  /** Every job is known (in the order given): a display can lay out its rows in that order. */
  begin?(rows: readonly JobRow[]): void;
  /** A job's snapshot changed. */
  snapshot(row: JobRow, snapshot: JobSnapshot): void;
  /** A poll answered (or failed); `row.nextPollAt` says when the next one goes. */
  poll(row: JobRow): void;
  /** A job's watch ended; `row.outcome` says how. */
  end(row: JobRow): void;
  /** Every watch ended: print the summary. */
  close(rows: readonly JobRow[]): void;
}

/**
 * A text stream such as `process.stdout` or `process.stderr`, described without Node's types so
 * the CLI's types compile without `@types/node`.
 */
export interface Output {
  /** Writes text as it is; `false` asks the writer to wait for `drain`. */
  write(text: string): unknown;
  /** Whether it is a terminal (live progress bars) or not (line logs). */
  isTTY?: boolean;
  /** Terminal width, when it is one. */
  columns?: number;
  /** Subscribes to `resize` (terminals), `drain`, `error` and `close`. */
  on?(event: string, listener: () => void): unknown;
  /** Unsubscribes a listener added with `on`. */
  off?(event: string, listener: () => void): unknown;
}

/** Printed where a text from outside is shown: control characters escaped, keys redacted. */
type Clean = (text: string) => string;
const cleaner =
  (redact: Redact): Clean =>
  (text) =>
    inert(redact(text));

const keep: Redact = (text) => text;

function counts(row: JobRow, withFailed = true): string {
  const total = row.total === null ? '?' : String(row.total);
  const failed = withFailed && row.failed > 0 ? ` (${row.failed} failed)` : '';
  return `${row.completed}/${total}${failed}`;
}

function label(row: JobRow): string {
  return row.outcome ?? row.status;
}

/** `eta 1m20s` while a running job carries an estimate (`~` when core's confidence is low). */
function eta(row: JobRow, now: number): string {
  if (!row.estimate || row.outcome !== undefined || row.status !== 'running') return '';
  const left = Math.max(0, row.estimate.endsAt - now);
  // An estimate is no more precise than a second.
  const text = left < 59_500 ? `${Math.round(left / 1000)}s` : duration(left);
  return `eta ${row.estimate.confidence === 'low' ? '~' : ''}${text}`;
}

/** One line per change, for logs and pipes. Every line is whole (no width limit). */
export function lineReporter(out: Output, now: () => number, redact: Redact = keep): Reporter {
  const clean = cleaner(redact);
  const stamp = () => new Date(now()).toISOString().slice(11, 19);
  return {
    snapshot(row) {
      const raw = row.rawStatus && row.rawStatus !== row.status ? ` [${clean(row.rawStatus)}]` : '';
      const until = eta(row, now());
      out.write(`${stamp()} ${clean(row.ref)} ${row.status}${raw} ${counts(row)}${until ? ` ${until}` : ''}\n`);
    },
    poll(row) {
      // A poll that ended the watch is told by end(), with why.
      if (row.pollError && row.nextPollAt !== null)
        out.write(
          `${stamp()} ${clean(row.ref)} poll failed (${clean(row.pollError)}), next poll in ${duration(row.nextPollAt - now())}\n`,
        );
    },
    end(row) {
      const why = row.message ? `: ${clean(row.message)}` : '';
      out.write(
        `${stamp()} ${clean(row.ref)} ended ${label(row)} ${counts(row)} after ${duration((row.endedAt ?? now()) - row.startedAt)}${why}\n`,
      );
    },
    close(rows) {
      out.write(summary(rows, now, clean));
    },
  };
}

/**
 * One JSON object per changed snapshot (NDJSON), then one per job that ended without a terminal
 * snapshot. `raw` is bounded (see {@link boundedJsonLine}); strings are escaped so no line can
 * drive a terminal, and configured keys are redacted.
 */
export function ndjsonReporter(out: Output, redact: Redact = keep): Reporter {
  return {
    snapshot(row, snapshot) {
      out.write(`${boundedJsonLine({ ref: row.ref, ...snapshot }, redact)}\n`);
    },
    poll() {},
    end(row) {
      if (row.outcome === 'timeout' || row.outcome === 'error' || row.outcome === 'interrupted') {
        out.write(`${boundedJsonLine({ ref: row.ref, outcome: row.outcome, error: row.message ?? null }, redact)}\n`);
      }
    },
    close() {},
  };
}

/** The cells of one row of the live display. */
export function rowCells(row: JobRow, now: number, clean: Clean = inert): RowCells {
  const ended = row.outcome !== undefined;
  const note = ended
    ? clean(row.message ?? '')
    : row.pollError
      ? `retrying: ${clean(row.pollError)}`
      : row.status === 'unknown' && row.rawStatus
        ? `provider says ${clean(row.rawStatus)}`
        : '';
  return {
    ref: clean(row.ref),
    fraction: row.fraction,
    pct: row.fraction === null ? '?%' : `${Math.round(row.fraction * 100)}%`,
    status: label(row),
    counts: counts(row),
    countsShort: counts(row, false),
    elapsed: duration((row.endedAt ?? now) - row.startedAt),
    eta: eta(row, now),
    next: !ended && row.nextPollAt !== null ? `next ${duration(row.nextPollAt - now)}` : '',
    note,
  };
}

/** The rows of the live display for a terminal `columns` wide (one column is left free). */
export function renderRows(rows: readonly JobRow[], now: number, columns: number, clean: Clean = inert): string[] {
  const cells = rows.map((row) => rowCells(row, now, clean));
  const plan = planColumns(cells, Math.max(20, columns - 1));
  return cells.map((c) => renderRow(c, plan));
}

/**
 * Live progress bars (cli-progress), one line per job, laid out for the terminal's width on every
 * frame (four a second, and at once when the terminal is resized).
 */
export function barReporter(out: Output, now: () => number, redact: Redact = keep): Reporter {
  const clean = cleaner(redact);
  const rows: JobRow[] = [];
  let frame: string[] | undefined;
  // The lines on screen, and the width they were laid out for.
  let drawn: string[] = [];
  let drawnFor = 0;
  const width = () => out.columns || 80;
  const multibar = new cliProgress.MultiBar(
    {
      // cli-progress only writes, moves the cursor and reads `columns` and `isTTY`.
      stream: out as never,
      clearOnComplete: false,
      hideCursor: true,
      // Every frame writes every line: after a resize the screen below the display was cleared.
      forceRedraw: true,
      fps: 4,
      format: (_options, _params, payload: { index: number }) => {
        if (!frame) {
          frame = renderRows(rows, now(), width(), clean);
          drawn = frame;
          drawnFor = width();
        }
        return frame[payload.index] ?? '';
      },
    },
    cliProgress.Presets.shades_classic,
  );
  // A new frame is laid out once for all rows, before cli-progress draws its lines.
  multibar.on('redraw-pre', () => {
    frame = undefined;
  });
  multibar.on('stop-pre-clear', () => {
    frame = undefined;
  });
  const bars = new Map<JobRow, cliProgress.SingleBar>();
  const draw = (row: JobRow) => {
    if (!bars.has(row)) {
      rows.push(row);
      bars.set(row, multibar.create(1, 0, { index: rows.length - 1 }));
    }
  };
  const onResize = () => {
    const columns = width();
    if (columns < drawnFor && drawn.length > 0) {
      // Most terminals (tmux, VTE, iTerm2, Windows Terminal) wrap the lines drawn for the wider
      // window onto several rows: go back to the display's first row, clear from there down, and
      // draw it again. (A terminal that cuts lines instead loses a few rows above the display.)
      const rowsOnScreen = drawn.reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / columns)), 0);
      out.write(`\r${rowsOnScreen > 1 ? `\u001b[${rowsOnScreen - 1}A` : ''}\u001b[J`);
      // cli-progress counts the lines it drew to find its first one again: none now.
      (multibar as unknown as { terminal: { dy: number } }).terminal.dy = 0;
    }
    multibar.update();
  };
  out.on?.('resize', onResize);
  return {
    // Rows keep the order the jobs were given in, whichever answers first.
    begin: (all) => {
      for (const row of all) draw(row);
    },
    snapshot: draw,
    poll: draw,
    end: draw,
    close(all) {
      out.off?.('resize', onResize);
      for (const row of all) draw(row);
      multibar.stop();
      out.write(summary(all, now, clean, width()));
    },
  };
}

/**
 * The closing lines: how many jobs ended how, then one line per job that did not succeed with why
 * (fitted to `columns` on a terminal; whole in logs).
 */
export function summary(rows: readonly JobRow[], now: () => number, clean: Clean = inert, columns?: number): string {
  const byOutcome = new Map<string, number>();
  for (const row of rows) byOutcome.set(label(row), (byOutcome.get(label(row)) ?? 0) + 1);
  const parts = [...byOutcome.entries()].map(([k, v]) => `${v} ${k}`);
  const longest = Math.max(0, ...rows.map((r) => (r.endedAt ?? now()) - r.startedAt));
  const head = `${rows.length} job${rows.length === 1 ? '' : 's'}`;
  const whole = `${head}: ${parts.join(', ')} (${duration(longest)})`;
  const lines = [whole];
  if (columns !== undefined && whole.length > columns - 1) {
    // Too wide for the terminal: the counts go on their own lines, broken between counts.
    lines[0] = `${head} (${duration(longest)}):`;
    for (const part of parts) {
      const last = lines.length - 1;
      if (last > 0 && (lines[last] as string).length + part.length + 2 <= columns - 1) lines[last] += `, ${part}`;
      else lines.push(`  ${part}`);
    }
  }
  const unsuccessful = rows.filter((row) => label(row) !== 'succeeded');
  const labelWidth = Math.max(0, ...unsuccessful.map((row) => label(row).length));
  for (const row of unsuccessful) {
    const head = `  ${label(row).padEnd(labelWidth)} `;
    const why = row.message ? clean(row.message) : row.outcome === 'cancelled' ? `cancelled at ${counts(row)}` : '';
    const ref = clean(row.ref);
    if (columns === undefined) {
      lines.push(`${head}${ref}${why ? `: ${why}` : ''}`);
      continue;
    }
    const room = Math.max(20, columns - 1) - head.length;
    const refWidth = why ? Math.min(ref.length, Math.max(14, Math.floor(room / 2))) : room;
    const shortRef = elideMiddle(ref, refWidth);
    lines.push(truncate(`${head}${shortRef}${why ? `: ${why}` : ''}`, room + head.length));
  }
  return `\n${lines.join('\n')}\n`;
}
