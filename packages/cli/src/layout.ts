// Lays the live display's rows out for the terminal's width. When space is short, columns are
// shortened or dropped in a fixed order: the ETA first, then the next-poll countdown, the elapsed
// time, the failed count, the id's length, the reason's full length, the bar, the counts and the percentage. The
// status and the failure reason (or the poll error being retried) stay; ids are elided in the middle.
import { elideMiddle, truncate } from './text.js';

/** The columns of one display row, in screen order. */
export const COLUMN_ORDER = ['ref', 'bar', 'pct', 'status', 'counts', 'elapsed', 'eta', 'next', 'note'] as const;
/** One column of the live display. */
export type Column = (typeof COLUMN_ORDER)[number];

/** The text of each column of one row (already made inert); `fraction` draws the bar. */
export interface RowCells {
  ref: string;
  fraction: number | null;
  pct: string;
  status: string;
  /** Counts with the failed count, e.g. `27/50 (3 failed)`. */
  counts: string;
  /** Counts alone, e.g. `27/50`: used when space is short. */
  countsShort: string;
  elapsed: string;
  eta: string;
  next: string;
  /** The failure reason of an ended job, or the error a running job's poll is retrying. */
  note: string;
}

/** Widths chosen for every row of one frame (0 = column not shown). */
export type Plan = Record<Column, number> & { shortCounts: boolean };

const BAR_MIN = 8;
const BAR_MID = 16;
const BAR_MAX = 24;
const REF_MIN = 14;
const REF_MID = 28;
const NOTE_MIN = 16;
/** The reason keeps up to this many characters before timings, the bar or the counts give way. */
const NOTE_FIRST = 40;

// Each step makes the line narrower; the first one whose minimum fits is used.
const STEPS: ReadonlyArray<{ drop?: Column; shortCounts?: true; shortRef?: true; shortNote?: true }> = [
  {},
  { drop: 'eta' },
  { drop: 'next' },
  { drop: 'elapsed' },
  { shortCounts: true },
  { shortRef: true },
  { shortNote: true },
  { drop: 'bar' },
  { drop: 'counts' },
  { drop: 'pct' },
];

/** Chooses which columns show and how wide, for rows drawn `width` columns wide. */
export function planColumns(rows: readonly RowCells[], width: number): Plan {
  const longest = (pick: (r: RowCells) => string) => Math.max(0, ...rows.map((r) => pick(r).length));
  const natural: Record<Column, number> = {
    ref: longest((r) => r.ref),
    bar: rows.length > 0 ? BAR_MAX : 0,
    pct: longest((r) => r.pct),
    status: longest((r) => r.status),
    counts: longest((r) => r.counts),
    elapsed: longest((r) => r.elapsed),
    eta: longest((r) => r.eta),
    next: longest((r) => r.next),
    note: longest((r) => r.note),
  };
  const minimum = (column: Column): number => {
    const n = natural[column];
    if (column === 'ref') return Math.min(n, shortRef ? REF_MIN : REF_MID);
    if (column === 'bar') return Math.min(n, BAR_MIN);
    if (column === 'note') return Math.min(n, shortNote ? NOTE_MIN : NOTE_FIRST);
    if (column === 'counts' && shortCounts) return longest((r) => r.countsShort);
    return n;
  };
  const dropped = new Set<Column>();
  let shortCounts = false;
  let shortRef = false;
  let shortNote = false;
  let widths = {} as Record<Column, number>;
  const total = () => {
    const shown = COLUMN_ORDER.filter((c) => widths[c] > 0);
    return shown.reduce((sum, c) => sum + widths[c], 0) + Math.max(0, shown.length - 1);
  };
  for (const step of STEPS) {
    if (step.drop) dropped.add(step.drop);
    if (step.shortCounts) shortCounts = true;
    if (step.shortRef) shortRef = true;
    if (step.shortNote) shortNote = true;
    widths = Object.fromEntries(COLUMN_ORDER.map((c) => [c, dropped.has(c) ? 0 : minimum(c)])) as Record<
      Column,
      number
    >;
    if (total() <= width) break;
  }
  // Still too wide: the ref and the note give way down to a few characters, then the status is cut.
  for (const column of ['ref', 'note', 'status'] as const) {
    const over = total() - width;
    if (over > 0 && widths[column] > 0) widths[column] = Math.max(column === 'status' ? 1 : 6, widths[column] - over);
  }
  // Space left: the reason first (up to NOTE_FIRST), the ref up to REF_MID, a bar of BAR_MID, the
  // whole ref, the whole bar, and the rest of the reason.
  const grow = (column: Column, upTo: number) => {
    if (widths[column] === 0) return;
    const room = width - total();
    if (room > 0) widths[column] += Math.max(0, Math.min(room, upTo - widths[column]));
  };
  grow('note', Math.min(natural.note, NOTE_FIRST));
  grow('ref', Math.min(natural.ref, REF_MID));
  grow('bar', Math.min(natural.bar, BAR_MID));
  grow('ref', natural.ref);
  grow('bar', natural.bar);
  grow('note', natural.note);
  return { ...widths, shortCounts };
}

const FULL = '\u2588';
const EMPTY = '\u2591';

/** A bar `width` characters wide, filled to `fraction`. */
export function drawBar(fraction: number | null, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction ?? 0)) * width);
  return FULL.repeat(filled) + EMPTY.repeat(width - filled);
}

/** One row as text, at most the plan's total width, without trailing spaces. */
export function renderRow(cells: RowCells, plan: Plan): string {
  const parts: string[] = [];
  for (const column of COLUMN_ORDER) {
    const width = plan[column];
    if (width === 0) continue;
    switch (column) {
      case 'ref':
        parts.push(elideMiddle(cells.ref, width).padEnd(width));
        break;
      case 'bar':
        parts.push(drawBar(cells.fraction, width));
        break;
      case 'pct':
      case 'elapsed':
        parts.push(truncate(cells[column], width).padStart(width));
        break;
      case 'counts':
        parts.push(truncate(plan.shortCounts ? cells.countsShort : cells.counts, width).padEnd(width));
        break;
      default:
        parts.push(truncate(cells[column], width).padEnd(width));
    }
  }
  return parts.join(' ').trimEnd();
}
