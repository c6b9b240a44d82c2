import { type JobSource, ValidationError } from '@batchwatch/core';

/** @internal Sources by provider, then kind; throws `ValidationError` for a bad or repeated source. */
export function indexSources(sources: readonly JobSource<unknown>[]): Map<string, Map<string, JobSource<unknown>>> {
  if (!Array.isArray(sources) || sources.length === 0) {
    throw new ValidationError('sources', 'a non-empty array of job sources, e.g. [runflowBatch(client)]');
  }
  const byProvider = new Map<string, Map<string, JobSource<unknown>>>();
  for (const [i, source] of sources.entries()) {
    if (
      source === null ||
      typeof source !== 'object' ||
      typeof source.provider !== 'string' ||
      source.provider === '' ||
      typeof source.kind !== 'string' ||
      source.kind === '' ||
      typeof source.fetchSnapshot !== 'function'
    ) {
      throw new ValidationError(`sources[${i}]`, 'a job source with provider, kind and fetchSnapshot');
    }
    const kinds = byProvider.get(source.provider) ?? new Map<string, JobSource<unknown>>();
    if (kinds.has(source.kind)) {
      throw new ValidationError(
        `sources[${i}]`,
        `one source per provider and kind (${source.provider} ${source.kind} twice)`,
      );
    }
    kinds.set(source.kind, source);
    byProvider.set(source.provider, kinds);
  }
  return byProvider;
}

/** @internal The source of a provider and kind; throws `ValidationError` naming the one that is not there. */
export function findSource(
  byProvider: ReadonlyMap<string, ReadonlyMap<string, JobSource<unknown>>>,
  provider: string,
  kind: string,
): JobSource<unknown> {
  const kinds = byProvider.get(provider);
  if (!kinds) {
    throw new ValidationError('provider', `one of ${[...byProvider.keys()].join(', ')}`, {
      received: JSON.stringify(printable(String(provider), 60)),
    });
  }
  const source = kinds.get(kind);
  if (!source) {
    throw new ValidationError('kind', `one of ${[...kinds.keys()].join(', ')} for ${provider}`, {
      received: JSON.stringify(printable(String(kind), 60)),
    });
  }
  return source;
}

/** @internal How many requests one poll of this provider costs at most (`requestsPerPoll`, default 1). */
export function requestsPerPoll(kinds: ReadonlyMap<string, JobSource<unknown>>): number {
  let most = 1;
  for (const source of kinds.values()) {
    const n = source.requestsPerPoll ?? 1;
    if (!(Number.isInteger(n) && n >= 1)) {
      throw new ValidationError(`${source.provider} ${source.kind} source requestsPerPoll`, 'an integer >= 1', {
        received: String(n),
      });
    }
    most = Math.max(most, n);
  }
  return most;
}

/** @internal A printable, single-line, short version of provider text (no control characters). */
export function printable(text: string, max = 300): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}
