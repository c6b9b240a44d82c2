// `--sources <module>`: job sources of your own (a client made with `batchwatch generate`, or any
// `JobSource`) beside the three built in, in the shape `createJobStatusHandler` takes them.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobSource } from '@batchwatch/core';
import { UsageError } from './refs.js';
import { inert } from './text.js';

/** Job sources by provider and kind: `{ openai: { batch: openaiBatch(client) } }`. */
export type SourceCatalog = Readonly<Record<string, Readonly<Record<string, JobSource>>>>;

/** A provider or kind name as a job reference can spell it. */
const NAME = /^[a-z][a-z0-9_-]{0,39}$/;

const SHAPE =
  'a default export (or an export named sources) of { <provider>: { <kind>: JobSource } }, e.g. { openai: { batch: openaiBatch(client) } }';

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Imports `path` (an ES module, resolved from `cwd`) and checks its catalog: every provider and kind
 * a lower-case name, every source an object with `fetchSnapshot`. Throws {@link UsageError} naming
 * the file and what is wrong; a module that throws while loading is reported with its message.
 */
export async function loadSources(path: string, cwd: string = process.cwd()): Promise<SourceCatalog> {
  const shown = `--sources ${inert(path)}`;
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new UsageError(`${shown}: no such file`);
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${shown}: the module failed to load: ${inert(message.split('\n')[0] ?? '')}`);
  }
  const catalog = module.default ?? module.sources;
  if (!isObject(catalog) || Object.keys(catalog).length === 0) throw new UsageError(`${shown}: expected ${SHAPE}`);
  for (const [provider, kinds] of Object.entries(catalog)) {
    if (!NAME.test(provider)) {
      throw new UsageError(`${shown}: provider "${inert(provider)}": expected a lower-case name such as openai`);
    }
    if (!isObject(kinds) || Object.keys(kinds).length === 0) {
      throw new UsageError(
        `${shown}: ${provider}: expected { <kind>: JobSource }, e.g. { batch: openaiBatch(client) }`,
      );
    }
    for (const [kind, source] of Object.entries(kinds)) {
      if (!NAME.test(kind)) {
        throw new UsageError(`${shown}: ${provider} kind "${inert(kind)}": expected a lower-case name such as batch`);
      }
      if (!isObject(source) || typeof source.fetchSnapshot !== 'function') {
        throw new UsageError(
          `${shown}: ${provider}.${kind}: expected a JobSource (an object with fetchSnapshot(id, context)), such as createJobSource(kind, client) returns`,
        );
      }
    }
  }
  return catalog as SourceCatalog;
}
