import type { JobSource, ResultItem } from '@batchwatch/core';
import { jobResults } from '@batchwatch/core/results';
import type { JobRef } from './refs.js';
import type { Output } from './report.js';
import { EXIT } from './watch.js';

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
  /** Where items go, as they stream. */
  stdout: Output & NodeJS.WritableStream;
  /** Where errors go. */
  stderr: Output;
  /** Shortest wait before retrying a failed page. Defaults to the core's `1000`. */
  minIntervalMs?: number;
  /** Longest wait before retrying a failed page. Defaults to the core's `30000`. */
  maxIntervalMs?: number;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; objects as JSON. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (fields: readonly unknown[]) => `${fields.map(csvField).join(',')}\r\n`;

/** Waits for `drain` (the reader caught up), or until the output fails, closes or `signal` aborts. */
function drained(out: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    out.on('drain', done);
    out.on('error', done);
    out.on('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Streams every item of the job to stdout as it arrives: NDJSON (`{ id, index, status, failure?, raw }`
 * per line) or CSV (Supermetrics query rows: a header from the first row's keys, then the rows;
 * other jobs: `id,index,status,failure_code,failure_message`). Honours stdout backpressure, so
 * memory stays flat however slow the reader; a reader that goes away (EPIPE) ends it quietly.
 * Resolves with the exit code: 0 done, 1 error, 130 interrupted.
 */
export async function writeResults(ref: JobRef, source: JobSource, settings: ResultsSettings): Promise<number> {
  const { stdout, stderr, format } = settings;
  const controller = new AbortController();
  const onAbort = () => controller.abort(settings.signal.reason);
  settings.signal.addEventListener('abort', onAbort, { once: true });
  let closed = false;
  const onError = () => {
    // The reader went away (e.g. `| head`): stop fetching, nothing more to say.
    closed = true;
    controller.abort(new Error('stdout closed'));
  };
  stdout.on('error', onError);
  const rows = ref.provider === 'supermetrics' && ref.kind === 'query';
  let columns: string[] | undefined = rows ? undefined : [...ITEM_COLUMNS];
  let written = 0;
  const write = async (text: string) => {
    if (!stdout.write(text)) await drained(stdout, controller.signal);
  };
  try {
    if (format === 'csv' && columns) await write(csvLine(columns));
    const stream = jobResults(source, ref.id, {
      signal: controller.signal,
      ...(settings.minIntervalMs !== undefined
        ? { minIntervalMs: settings.minIntervalMs, initialIntervalMs: settings.minIntervalMs }
        : {}),
      ...(settings.maxIntervalMs !== undefined ? { maxIntervalMs: settings.maxIntervalMs } : {}),
    });
    for await (const item of stream) {
      if (settings.max !== undefined && written >= settings.max) break;
      if (format === 'ndjson') {
        await write(`${JSON.stringify(item)}\n`);
      } else if (rows) {
        const raw = (item as ResultItem<Record<string, unknown>>).raw ?? {};
        if (!columns) {
          columns = Object.keys(raw);
          await write(csvLine(columns));
        }
        await write(csvLine(columns.map((c) => raw[c])));
      } else {
        await write(csvLine([item.id, item.index, item.status, item.failure?.code, item.failure?.message]));
      }
      written++;
      if (closed) break;
    }
    return EXIT.ok;
  } catch (error) {
    if (closed) return EXIT.ok;
    if (settings.signal.aborted) {
      stderr.write(`batchwatch: interrupted after ${written} items\n`);
      return EXIT.interrupted;
    }
    stderr.write(`batchwatch: ${ref.text}: ${(error as Error).message}\n`);
    return EXIT.jobFailed;
  } finally {
    settings.signal.removeEventListener('abort', onAbort);
    stdout.off('error', onError);
  }
}
