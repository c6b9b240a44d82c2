// The live display's layout, unit by unit: column priorities, the ETA column (core's
// JobSnapshot.estimate), redraw on resize, and the summary.
import { EventEmitter } from 'node:events';
import type { JobEstimate } from '@batchwatch/core';
import { describe, expect, it } from 'vitest';
import { barReporter, type JobRow, renderRows, summary } from '../src/report.js';

const NOW = 1_800_000_000_000;
const estimate = (remainingMs: number, confidence: JobEstimate['confidence'] = 'high'): JobEstimate => ({
  endsAt: NOW + remainingMs,
  remainingMs,
  itemsPerSecond: 2,
  confidence,
});

function row(ref: string, fields: Partial<JobRow> = {}): JobRow {
  return {
    ref,
    status: 'running',
    rawStatus: 'running',
    completed: 27,
    failed: 3,
    total: 50,
    fraction: 0.54,
    startedAt: NOW - 8_500,
    nextPollAt: NOW + 1_500,
    ...fields,
  };
}

const ROWS: JobRow[] = [
  row('supermetrics:query:74a92e9034cffc4464ad4e105cb6', { estimate: estimate(80_000) }),
  row('runflow:batch:021fe227-9aa5-40f9-be39-9dc978cc9af5', {
    pollError: 'HTTP 429, Retry-After',
    estimate: estimate(5_000, 'low'),
  }),
  row('runflow:batch:ab537301-f1e2-4122-a5e1-93352e5065ed', {
    status: 'failed',
    outcome: 'failed',
    fraction: 1,
    completed: 30,
    failed: 30,
    total: 30,
    nextPollAt: null,
    endedAt: NOW - 300,
    message: 'All 30 items failed.',
  }),
  row('check:batch:batch_x0emppegmcqq'),
];

describe('renderRows', () => {
  it.each([60, 80, 100, 120, 160, 200])('should fit %i columns and always show status and reason', (columns) => {
    const lines = renderRows(ROWS, NOW, columns);
    for (const line of lines) expect(line.length).toBeLessThan(columns);
    expect(lines[1]).toContain('running');
    expect(lines[1]).toContain(columns >= 80 ? 'retrying: HTTP 429, Retry-After' : 'retrying: HTTP');
    expect(lines[2]).toContain('failed');
    expect(lines[2]).toContain(columns >= 80 ? 'All 30 items failed.' : 'All 30');
  });

  it('should show the ETA while a job carries an estimate, with ~ for low confidence', () => {
    const lines = renderRows(ROWS, NOW, 200);
    expect(lines[0]).toMatch(/ 8\.5s eta 1m20s next 1\.5s$/);
    expect(lines[1]).toMatch(/ 8\.5s eta ~5s +next 1\.5s retrying: HTTP 429, Retry-After$/);
    // An ended job and a job without an estimate leave the column blank.
    expect(lines[2]).not.toContain('eta');
    expect(lines[3]).not.toContain('eta');
  });

  it('should count the ETA down from the estimated end, not from when it was made', () => {
    expect(renderRows(ROWS, NOW + 20_000, 200)[0]).toContain(' eta 1m00s ');
    expect(renderRows(ROWS, NOW + 200_000, 200)[0]).toContain(' eta 0s ');
  });

  it('should drop the ETA first, then the countdown and the elapsed time, as width shrinks', () => {
    const at = (columns: number) => renderRows(ROWS, NOW, columns)[0] ?? '';
    expect(at(200)).toContain('eta');
    const narrower = [160, 140, 120, 100, 80].map(at);
    const firstWithout = (text: RegExp) => narrower.findIndex((line) => !text.test(line));
    const eta = firstWithout(/eta/);
    const next = firstWithout(/next/);
    const elapsed = firstWithout(/8\.5s/);
    expect(eta).toBeGreaterThanOrEqual(0);
    expect(next === -1 || next >= eta).toBe(true);
    expect(elapsed === -1 || elapsed >= next).toBe(true);
    expect(at(80)).not.toContain('eta');
    expect(at(80)).toContain('54%');
  });

  it('should elide ids in the middle, keeping both ends', () => {
    const line = renderRows(ROWS, NOW, 80)[0] ?? '';
    expect(line).toMatch(/^superme\S*…\S*5cb6 /);
  });

  it('should not print provider control characters', () => {
    const evil = row('runflow:batch:1', { status: 'unknown', rawStatus: 'PAUSED\u001b]0;x\u0007' });
    const [line] = renderRows([evil], NOW, 200);
    expect(line).toContain('provider says PAUSED\\x1b]0;x\\x07');
    expect(line).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe('summary', () => {
  it('should name every job that did not succeed, and why', () => {
    const ended = [
      row('runflow:batch:1', { outcome: 'succeeded', endedAt: NOW }),
      row('runflow:batch:2', { outcome: 'failed', endedAt: NOW, message: 'All 30 items failed.' }),
      row('check:batch:3', { outcome: 'cancelled', endedAt: NOW, completed: 40, failed: 0, total: 100 }),
      row('check:batch:4', { outcome: 'error', endedAt: NOW, message: 'HTTP 404 (fatal: no such check batch)' }),
    ];
    expect(summary(ended, () => NOW)).toBe(
      [
        '',
        '4 jobs: 1 succeeded, 1 failed, 1 cancelled, 1 error (8.5s)',
        '  failed    runflow:batch:2: All 30 items failed.',
        '  cancelled check:batch:3: cancelled at 40/100',
        '  error     check:batch:4: HTTP 404 (fatal: no such check batch)',
        '',
      ].join('\n'),
    );
  });

  it('should break the counts onto their own lines when the first line is too wide', () => {
    const ended = ['succeeded', 'partially_succeeded', 'failed', 'cancelled'].map((outcome, i) =>
      row(`check:batch:${i}`, { outcome: outcome as JobRow['outcome'], endedAt: NOW, message: 'why' }),
    );
    const lines = summary(ended, () => NOW, undefined, 60).split('\n');
    expect(lines.slice(1, 4)).toEqual([
      '4 jobs (8.5s):',
      '  1 succeeded, 1 partially_succeeded, 1 failed, 1 cancelled',
      '  partially_succeeded check:batch:1: why',
    ]);
    for (const line of lines) expect(line.length).toBeLessThan(60);
  });

  it('should fit each line to the terminal, keeping the reason', () => {
    const long = row(`runflow:batch:${'a'.repeat(36)}`, {
      outcome: 'failed',
      endedAt: NOW,
      message: 'x'.repeat(200),
    });
    const [, , line] = summary([long], () => NOW, undefined, 80).split('\n');
    expect(line).toHaveLength(79);
    expect(line).toMatch(/^ {2}failed runflow:batch:a*…a*: x+…$/);
  });
});

class FakeTerminal extends EventEmitter {
  isTTY = true;
  columns = 200;
  written = '';
  write(text: string) {
    this.written += text;
    return true;
  }
}

describe('barReporter', () => {
  it('should lay the rows out again for the new width when the terminal is resized', () => {
    const out = new FakeTerminal();
    const reporter = barReporter(out, () => NOW);
    for (const r of ROWS) reporter.snapshot(r, {} as never);
    out.emit('resize');
    const wide = out.written;
    expect(wide).toContain('eta 1m20s');
    out.written = '';
    out.columns = 70;
    out.emit('resize');
    const narrow = out.written;
    expect(narrow).not.toContain('eta');
    // Without escape sequences, no drawn line is wider than the terminal.
    for (const line of narrow.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '\n').split('\n')) {
      expect(line.length).toBeLessThan(70);
    }
    expect(narrow).toContain('All 30 items failed.');
    // Shrinking: the lines drawn for 70 columns take two rows each at 40 on a terminal that wraps
    // them, so the display goes back that many rows and clears the screen below before redrawing.
    const before = narrow
      .split('\n')
      .map((l) => l.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''))
      .filter((l) => l.trim() !== '');
    const rowsAt40 = before.reduce((sum, l) => sum + Math.ceil(l.length / 40), 0);
    out.written = '';
    out.columns = 40;
    out.emit('resize');
    expect(out.written.startsWith(`\r\u001b[${rowsAt40 - 1}A\u001b[J`)).toBe(true);
    expect(out.written).toContain('All 30');
    // Growing needs no clearing: every line is drawn again over the old ones.
    out.written = '';
    out.columns = 120;
    out.emit('resize');
    expect(out.written).not.toContain('\u001b[J');
    reporter.close(ROWS);
    expect(out.listenerCount('resize')).toBe(0);
    expect(out.written).toContain('4 jobs: 3 running, 1 failed');
  });

  it('should keep the rows in the order the jobs were given, whichever answers first', () => {
    const out = new FakeTerminal();
    const reporter = barReporter(out, () => NOW);
    const rows = [row('runflow:batch:first'), row('check:batch:second'), row('supermetrics:query:third')];
    reporter.begin?.(rows);
    reporter.snapshot(rows[2] as JobRow, {} as never);
    reporter.snapshot(rows[0] as JobRow, {} as never);
    out.emit('resize');
    const text = out.written.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '\n');
    const at = (ref: string) => text.lastIndexOf(ref);
    expect(at('runflow:batch:first')).toBeLessThan(at('check:batch:second'));
    expect(at('check:batch:second')).toBeLessThan(at('supermetrics:query:third'));
    reporter.close(rows);
  });
});
