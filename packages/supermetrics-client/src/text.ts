import { InvalidResponseError } from '@batchwatch/core';
import { SUPERMETRICS } from './vocabulary.js';

/**
 * Rows of a CSV (RFC 4180: `quotes` on) or TSV (`quotes` off: split on the delimiter) text: fields
 * in double quotes may hold the delimiter, `""` and line breaks; rows end at CRLF or LF. A leading
 * BOM and blank lines are dropped; an unterminated quote is an `InvalidResponseError`.
 */
export function parseDelimited(text: string, delimiter: string, quotes: boolean): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0] !== '' || quoted) rows.push(row);
    row = [];
    field = '';
    quoted = false;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quotes && c === '"' && field === '' && !quoted) {
      quoted = true;
      let end = i + 1;
      for (;;) {
        const q = text.indexOf('"', end);
        if (q === -1) {
          throw new InvalidResponseError(`${SUPERMETRICS} sent a CSV page with an unterminated quoted field`, {
            bodySnippet: text.slice(i, i + 200),
          });
        }
        field += text.slice(end, q);
        if (text[q + 1] === '"') {
          field += '"';
          end = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else if (c === delimiter) {
      row.push(field);
      field = '';
      quoted = false;
      i++;
    } else if (c === '\n' || c === '\r') {
      endRow();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      // An unquoted run up to the next delimiter or line break, sliced at once.
      let j = i + 1;
      while (j < text.length && text[j] !== delimiter && text[j] !== '\n' && text[j] !== '\r') j++;
      field += text.slice(i, j);
      i = j;
    }
  }
  if (field !== '' || row.length > 0 || quoted) endRow();
  return rows;
}
