import type { JobSnapshot, JobSource, ResultItem } from '@batchwatch/core';
import { createJobHandle, pollUntilSnapshot } from '@batchwatch/core/handles';
import { jobResults, ResultsNotReadyError } from '@batchwatch/core/results';
import type { JobRef } from './refs.js';
import type { Output } from './report.js';
import { inert, inertJson, redactor } from './text.js';
import { EXIT, whyEnded } from './watch.js';

/** The output formats of `batchwatch results`. */
export const RESULT_FORMATS = ['ndjson', 'csv'] as const;
/** An output format of `batchwatch results`: `ndjson` (one item per line) or `csv`. */
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** The CSV columns of item results (every kind but Supermetrics query rows). */
export const ITEM_COLUMNS = ['id', 'index', 'status', 'failure_code', 'failure_message'] as const;

/** Settings of the `batchwatch results` command. */
export interface ResultsSettings {
  /** How items are written. */
  format: ResultFormat;
  /** Stop after this many items; no further page is requested. */
  max?: number;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Where items go, as they stream; `write` returning `false` waits for `drain`. */
  stdout: Output;
  /** Where errors go. */
  stderr: Output;
  /**
   * Writes CSV cells as the provider sent them. By default a text cell that starts with `=`, `+`,
   * `-`, `@`, TAB or CR gets a `'` in front, so a spreadsheet shows it instead of running it as a
   * formula (OWASP's advice on CSV injection). Defaults to `false`.
   */
  csvRaw?: boolean;
  /**
   * Writes the items a job that has not ended has so far (pending ones included). Without it a job
   * that has not ended is an error (exit 1) for every provider. Defaults to `false`.
   */
  partial?: boolean;
  /** Keys to redact from error messages (a provider may echo one). Defaults to none. */
  secrets?: readonly string[];
  /** Where each provider's key came from, named when the key is refused. Defaults to none. */
  keyNames?: Readonly<Record<string, string>>;
  /** Shortest wait before retrying a failed page. Defaults to the core's `1000`. */
  minIntervalMs?: number;
  /** Longest wait before retrying a failed page. Defaults to the core's `30000`. */
  maxIntervalMs?: number;
}

/** Options of {@link csvField}. */
export interface CsvFieldOptions {
  /** Leave a text that starts like a formula as it is (`--csv-raw`). Defaults to `false`. */
  raw?: boolean;
}

/** The first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; objects as JSON. A text
 * that starts with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` so a spreadsheet shows it
 * rather than evaluating it, unless `raw`. Numbers, booleans and JSON objects are never changed.
 */
export function csvField(value: unknown, options: CsvFieldOptions = {}): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && !options.raw && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Waits for `drain` (the reader caught up), or until the output fails, closes or `signal` aborts. */
function drained(out: Output, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off?.('drain', done);
      out.off?.('error', done);
      out.off?.('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    out.on?.('drain', done);
    out.on?.('error', done);
    out.on?.('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `running (processing, 3/10)`: how far a job that has not ended is. */
function standing(snapshot: JobSnapshot): string {
  const raw = snapshot.rawStatus && snapshot.rawStatus !== snapshot.status ? `${snapshot.rawStatus}, ` : '';
  const { completed, total } = snapshot.progress;
  return `${snapshot.status} (${raw}${completed}/${total ?? '?'})`;
}

/** The message for a job that has no results yet. */
const notEnded = (ref: JobRef, snapshot: JobSnapshot, detail: string) =>
  `${ref.text} has no results yet: it is ${standing(snapshot)}. ${detail}`;

/** stdout as the results stream sees it: writes that wait for `drain`, and a signal aborted on Ctrl-C or when the reader goes away. */
function resultsOutput(stdout: Output, signal: AbortSignal) {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let closed = false;
  const onError = () => {
    // The reader went away (e.g. `| head`): stop fetching, nothing more to say.
    closed = true;
    controller.abort(new Error('stdout closed'));
  };
  stdout.on?.('error', onError);
  return {
    signal: controller.signal,
    /** Whether the reader went away. */
    get closed() {
      return closed;
    },
    async write(text: string) {
      if (stdout.write(text) === false) await drained(stdout, controller.signal);
    },
    release() {
      signal.removeEventListener('abort', onAbort);
      stdout.off?.('error', onError);
    },
  };
}

/**
 * The text written for the items: NDJSON lines, or CSV lines after a header (item columns, written
 * before the first page; a Supermetrics query's from its first row's keys, written with that row).
 */
function itemText(settings: ResultsSettings, rows: boolean) {
  // Cells shown on a terminal get their control characters escaped; a file or pipe gets the data.
  const shown = settings.stdout.isTTY === true;
  const cell = (value: unknown) => {
    const field = csvField(value, { raw: settings.csvRaw === true });
    return shown ? inert(field) : field;
  };
  const csvLine = (fields: readonly unknown[]) => `${fields.map(cell).join(',')}\r\n`;
  let columns: string[] | undefined = rows ? undefined : [...ITEM_COLUMNS];
  return {
    header: settings.format === 'csv' && columns ? [csvLine(columns)] : [],
    item(item: ResultItem): string[] {
      if (settings.format === 'ndjson') return [`${inertJson(item)}\n`];
      if (!rows) return [csvLine([item.id, item.index, item.status, item.failure?.code, item.failure?.message])];
      const raw = (item as ResultItem<Record<string, unknown>>).raw ?? {};
      const text: string[] = [];
      if (!columns) {
        columns = Object.keys(raw);
        text.push(csvLine(columns));
      }
      text.push(csvLine(columns.map((c) => raw[c])));
      return text;
    },
  };
}

/** Whether to stop before the items: a job that has not ended, without `partial` (said on stderr). */
async function stopsBeforeEnd(
  ref: JobRef,
  source: JobSource,
  options: Parameters<typeof pollUntilSnapshot>[2],
  settings: ResultsSettings,
  clean: (text: string) => string,
): Promise<boolean> {
  const first = await pollUntilSnapshot(source, createJobHandle(source, ref.id), options);
  if (!first.snapshot) throw first.error;
  if (first.snapshot.isTerminal || settings.partial) return false;
  settings.stderr.write(
    `batchwatch: ${clean(notEnded(ref, first.snapshot, `Results are written once it ends: wait with "batchwatch watch ${ref.text}", or pass --partial to write the items it has now.`))}\n`,
  );
  return true;
}

/** Says on stderr what ended the stream; returns the exit code. */
function failed(
  error: unknown,
  ref: JobRef,
  written: number,
  settings: ResultsSettings,
  clean: (text: string) => string,
) {
  const { stderr } = settings;
  if (settings.signal.aborted) {
    stderr.write(`batchwatch: interrupted after ${written} items\n`);
    return EXIT.interrupted;
  }
  if (error instanceof ResultsNotReadyError) {
    stderr.write(
      `batchwatch: ${clean(notEnded(ref, error.snapshot, `A Supermetrics query has no rows before it ends (--partial cannot change that): wait with "batchwatch watch ${ref.text}".`))}\n`,
    );
    return EXIT.jobFailed;
  }
  stderr.write(
    `batchwatch: ${clean(`${ref.text}: ${(error as Error).message} (${whyEnded(error, ref, settings.keyNames)})`)}\n`,
  );
  return EXIT.jobFailed;
}

/**
 * Streams every item of the job to stdout as it arrives: NDJSON (`{ id, index, status, failure?, raw }`
 * per line) or CSV (Supermetrics query rows: a header from the first row's keys, then the rows;
 * other jobs: `id,index,status,failure_code,failure_message`). Honours stdout backpressure, so
 * memory stays flat however slow the reader; a reader that goes away (EPIPE) ends it quietly.
 * A job that has not ended is an error for every provider unless `partial`. Error messages have
 * control characters escaped and keys redacted. Resolves with the exit code: 0 done, 1 error or
 * not ended, 130 interrupted.
 */
export async function writeResults(ref: JobRef, source: JobSource, settings: ResultsSettings): Promise<number> {
  const redact = redactor(settings.secrets ?? []);
  const clean = (text: string) => inert(redact(text));
  const out = resultsOutput(settings.stdout, settings.signal);
  const rows = ref.provider === 'supermetrics' && ref.kind === 'query';
  const text = itemText(settings, rows);
  let written = 0;
  try {
    const polling = {
      signal: out.signal,
      ...(settings.minIntervalMs !== undefined
        ? { minIntervalMs: settings.minIntervalMs, initialIntervalMs: settings.minIntervalMs }
        : {}),
      ...(settings.maxIntervalMs !== undefined ? { maxIntervalMs: settings.maxIntervalMs } : {}),
    };
    // One rule for every provider: a job that has not ended has no results unless --partial.
    // Supermetrics query rows come from the status endpoint itself, which says so (ResultsNotReadyError).
    if (!rows && (await stopsBeforeEnd(ref, source, polling, settings, clean))) return EXIT.jobFailed;
    for (const line of text.header) await out.write(line);
    for await (const item of jobResults(source, ref.id, polling)) {
      if (settings.max !== undefined && written >= settings.max) break;
      for (const line of text.item(item)) await out.write(line);
      written++;
      if (out.closed) break;
    }
    return EXIT.ok;
  } catch (error) {
    return out.closed ? EXIT.ok : failed(error, ref, written, settings, clean);
  } finally {
    out.release();
  }
}
