import { readFileSync } from 'node:fs';

/** Reads a body from specs/supermetrics/examples (the same files the spec test validates). */
export function example<T = any>(file: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../specs/supermetrics/examples/${file}`, import.meta.url), 'utf8'),
  ) as T;
}
