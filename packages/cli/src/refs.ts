import { type CheckClient, checkBatch, createCheckClient } from '@batchwatch/check-client';
import { type JobSource, ValidationError } from '@batchwatch/core';
import { createRunflowClient, type RunflowClient, runflowBatch, runflowRun } from '@batchwatch/runflow-client';
import {
  createSupermetricsClient,
  type SupermetricsClient,
  supermetricsBatch,
  supermetricsQueryStatus,
} from '@batchwatch/supermetrics-client';
import type { SourceCatalog } from './custom-sources.js';

/** A usage mistake: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The providers and job kinds the CLI can watch. */
export const KINDS = {
  supermetrics: ['query', 'batch'],
  runflow: ['batch', 'run'],
  check: ['batch'],
} as const;

/** A provider the CLI knows. */
export type ProviderName = keyof typeof KINDS;

/** Where each provider's key comes from. */
export const KEY_ENV: Record<ProviderName, string> = {
  supermetrics: 'SUPERMETRICS_API_KEY',
  runflow: 'RUNFLOW_API_TOKEN',
  check: 'CHECK_API_KEY',
};

/** The kinds `catalog` (`--sources`) gives `provider`, or `undefined` when it names none. */
export function ownKinds(catalog: SourceCatalog, provider: string): SourceCatalog[string] | undefined {
  return Object.hasOwn(catalog, provider) ? catalog[provider] : undefined;
}

/** Every provider a job reference may name: those of `catalog` (`--sources`) first, then the built-in ones. */
export function providerNames(catalog: SourceCatalog): string[] {
  return [...new Set([...Object.keys(catalog), ...Object.keys(KINDS)])];
}

/** `<provider>:<kind>:<id>` parsed. */
export interface JobRef {
  /** A built-in provider, or one from `--sources`. */
  provider: ProviderName | (string & {});
  kind: string;
  id: string;
  /** The reference as the user wrote it. */
  text: string;
}

/**
 * Parses `<provider>:<kind>:<id>` against the built-in providers and those of `catalog` (`--sources`,
 * which come first); throws {@link UsageError} naming what is wrong.
 */
export function parseJobRef(text: string, catalog: SourceCatalog = {}): JobRef {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (first < 0 || second < 0) {
    throw new UsageError(
      `malformed job reference "${text}": expected <provider>:<kind>:<id>, e.g. runflow:batch:<uuid>`,
    );
  }
  const provider = text.slice(0, first);
  const kind = text.slice(first + 1, second);
  const id = text.slice(second + 1);
  const own = ownKinds(catalog, provider);
  if (!own && !Object.hasOwn(KINDS, provider)) {
    throw new UsageError(
      `unknown provider "${provider}" in "${text}": expected one of ${providerNames(catalog).join(', ')}`,
    );
  }
  const kinds: readonly string[] = own ? Object.keys(own) : KINDS[provider as ProviderName];
  if (!kinds.includes(kind)) {
    throw new UsageError(`unknown kind "${kind}" for ${provider} in "${text}": expected one of ${kinds.join(', ')}`);
  }
  if (id === '') throw new UsageError(`missing id in "${text}"`);
  return { provider, kind, id, text };
}

/** Keys and base URLs per provider. */
export interface ProviderSettings {
  keys: Partial<Record<ProviderName, string>>;
  baseUrls: Partial<Record<ProviderName, string>>;
  /** Where each key came from (`RUNFLOW_API_TOKEN`, `--runflow-key`), named when it is unusable. */
  keyNames?: Partial<Record<ProviderName, string>>;
}

/**
 * Throws {@link UsageError} naming `name` (the variable or flag the key came from) when `key` is
 * blank or holds whitespace or control characters, which no provider's key does. The key itself is
 * never part of the message.
 */
export function checkKey(key: string, name: string): void {
  if (key.trim() === '') throw new UsageError(`${name} is blank: set it to your API key`);
  if (/[\s\u0000-\u001f\u007f]/.test(key)) {
    throw new UsageError(
      `${name} contains whitespace or a control character (a newline copied with it?): set it to the key alone`,
    );
  }
}

interface Clients {
  supermetrics?: SupermetricsClient;
  runflow?: RunflowClient;
  check?: CheckClient;
}

/**
 * Builds the job source for each reference, creating one client per provider. A missing key is a
 * {@link UsageError} that names the variable to set; an id the spec forbids is one too (unless
 * `checkIds` is false: a fleet worker builds one source per kind, for no job in particular).
 */
export function sourcesFor(
  refs: readonly JobRef[],
  settings: ProviderSettings,
  checkIds = true,
  catalog: SourceCatalog = {},
): JobSource[] {
  const clients: Clients = {};
  const client = <P extends ProviderName>(provider: P): NonNullable<Clients[P]> => {
    const existing = clients[provider];
    if (existing) return existing as NonNullable<Clients[P]>;
    const apiKey = settings.keys[provider];
    if (!apiKey) {
      throw new UsageError(
        `no ${provider} key: set ${KEY_ENV[provider]} (or pass --${provider}-key) to watch ${provider} jobs`,
      );
    }
    const keyName = settings.keyNames?.[provider] ?? KEY_ENV[provider];
    checkKey(apiKey, keyName);
    const options = { apiKey, ...(settings.baseUrls[provider] ? { baseUrl: settings.baseUrls[provider] } : {}) };
    let created: SupermetricsClient | RunflowClient | CheckClient;
    try {
      created =
        provider === 'supermetrics'
          ? createSupermetricsClient(options)
          : provider === 'runflow'
            ? createRunflowClient(options)
            : createCheckClient(options);
    } catch (error) {
      // The checks above and in main.ts catch these first; this names the setting for any they miss.
      if (!(error instanceof ValidationError)) throw error;
      const setting =
        error.field === 'apiKey' ? keyName : error.field === 'baseUrl' ? `--base-url ${provider}=...` : error.field;
      throw new UsageError(`${setting}: expected ${error.expected}`);
    }
    clients[provider] = created as never;
    return created as NonNullable<Clients[P]>;
  };
  return refs.map((ref) => {
    const source = ownKinds(catalog, ref.provider)?.[ref.kind] ?? makeSource(ref, client);
    if (!checkIds) return source;
    try {
      source.validateId?.(ref.id);
    } catch (error) {
      throw new UsageError(`invalid id in "${ref.text}": ${(error as Error).message}`);
    }
    return source;
  });
}

function makeSource(ref: JobRef, client: <P extends ProviderName>(p: P) => NonNullable<Clients[P]>): JobSource {
  switch (`${ref.provider}:${ref.kind}`) {
    case 'supermetrics:query':
      return supermetricsQueryStatus(client('supermetrics')) as JobSource;
    case 'supermetrics:batch':
      return supermetricsBatch(client('supermetrics')) as JobSource;
    case 'runflow:batch':
      return runflowBatch(client('runflow')) as JobSource;
    case 'runflow:run':
      return runflowRun(client('runflow')) as JobSource;
    default:
      return checkBatch(client('check')) as JobSource;
  }
}
