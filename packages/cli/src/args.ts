// The parse step of `batchwatch` (every command but `generate`, which has flags of its own): the
// flags, the keys and where they came from, and the settings every command shares. Bad values throw
// a UsageError naming the flag and the expected form.
import { parseArgs } from 'node:util';
import type { SourceCatalog } from './custom-sources.js';
import { KEY_ENV, KINDS, type ProviderName, UsageError } from './refs.js';
import { inert } from './text.js';
import type { WatchSettings } from './watch.js';

/** Parses `90s`, `10m`, `1h`, `500ms` or a plain number of seconds into milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid --${flag} "${text}": expected a duration like 500ms, 90s, 10m or 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0 || ms >= 2 ** 31)
    throw new UsageError(`invalid --${flag} "${text}": expected more than 0 and less than 24 days`);
  return ms;
}

/** The default of `--max-interval` (core's `maxIntervalMs`). */
const MAX_INTERVAL_DEFAULT_MS = 30_000;

/** A `--base-url` value as it may be echoed: control characters escaped, any `user:password@` masked. */
const shown = (value: string) => inert(value.replace(/\/\/[^/@\s]*@/g, '//***@'));

/** The `--base-url <provider>=<url>` values by provider; throws a UsageError for a bad one. */
export function parseBaseUrls(
  values: readonly string[],
  catalog: SourceCatalog = {},
): Partial<Record<ProviderName, string>> {
  const out: Partial<Record<ProviderName, string>> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const provider = value.slice(0, eq);
    if (eq > 0 && Object.hasOwn(catalog, provider)) {
      throw new UsageError(
        `invalid --base-url "${shown(value)}": ${provider} comes from --sources, whose module makes its client: set the base URL there`,
      );
    }
    if (eq < 0 || !Object.hasOwn(KINDS, provider)) {
      throw new UsageError(
        `invalid --base-url "${shown(value)}": expected <provider>=<url> with provider ${Object.keys(KINDS).join(', ')}`,
      );
    }
    const text = value.slice(eq + 1);
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {}
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(
        `invalid --base-url "${shown(value)}": expected an http(s) URL, e.g. ${provider}=http://127.0.0.1:4010/${provider}`,
      );
    }
    if (url.username || url.password) {
      // The URL is not repeated: it holds a secret.
      throw new UsageError(
        `--base-url for ${provider} must not contain credentials (user:password@): pass the key with --${provider}-key or ${KEY_ENV[provider as ProviderName]}`,
      );
    }
    if (url.search || url.hash) {
      throw new UsageError(`invalid --base-url "${shown(value)}": expected a URL without a query string or fragment`);
    }
    out[provider as ProviderName] = text;
  }
  return out;
}

/** The keys given by flag or environment, and where each came from (named in errors and hints). */
export interface Keys {
  /** The key of each provider that has one. */
  keys: Partial<Record<ProviderName, string>>;
  /** Where each key came from: `--runflow-key` or `RUNFLOW_API_TOKEN`. */
  keyNames: Partial<Record<ProviderName, string>>;
  /** Every configured key, to redact from output (a variable overridden by its flag included). */
  secrets: string[];
}

function readKeys(values: Record<string, unknown>, env: Record<string, string | undefined>): Keys {
  const keys: Partial<Record<ProviderName, string>> = {};
  const keyNames: Partial<Record<ProviderName, string>> = {};
  const secrets: string[] = [];
  for (const provider of Object.keys(KINDS) as ProviderName[]) {
    const flag = values[`${provider}-key`];
    const fromEnv = env[KEY_ENV[provider]];
    const key = typeof flag === 'string' ? flag : fromEnv;
    if (key) {
      keys[provider] = key;
      keyNames[provider] = typeof flag === 'string' ? `--${provider}-key` : KEY_ENV[provider];
    }
    for (const secret of [flag, fromEnv]) if (typeof secret === 'string' && secret.trim() !== '') secrets.push(secret);
  }
  return { keys, keyNames, secrets };
}

/** Parses the flags of every command but `generate`. */
const parse = (args: readonly string[]) =>
  parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      'base-url': { type: 'string', multiple: true, default: [] },
      'supermetrics-key': { type: 'string' },
      'runflow-key': { type: 'string' },
      'check-key': { type: 'string' },
      'min-interval': { type: 'string' },
      'max-interval': { type: 'string' },
      speed: { type: 'string' },
      redis: { type: 'string' },
      sources: { type: 'string' },
      rps: { type: 'string', multiple: true, default: [] },
      concurrency: { type: 'string' },
      format: { type: 'string' },
      'csv-raw': { type: 'boolean', default: false },
      max: { type: 'string' },
      partial: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });

/** The flags as parsed. */
export type Flags = ReturnType<typeof parse>['values'];

/** A command line: the command, the arguments after it, the flags and the keys. */
export interface CommandLine extends Keys {
  /** `watch`, `results`, `demo`, `worker`, `help`, or `undefined` when none was given. */
  command: string | undefined;
  /** The positional arguments after the command (job references). */
  rest: string[];
  /** The flags. */
  values: Flags;
}

/** Reads `argv` (without `node` and the script) and the keys in `env`; throws on an unknown or malformed flag. */
export function parseCommandLine(argv: readonly string[], env: Record<string, string | undefined>): CommandLine {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  return { command, rest, values, ...readKeys(values, env) };
}

/** `--min-interval` and `--max-interval` in milliseconds, each present only when given. */
export type Intervals = Pick<WatchSettings, 'minIntervalMs' | 'maxIntervalMs'>;

/** The settings every command shares: output, clock, `--timeout` and the intervals. */
export type CommonSettings = Pick<WatchSettings, 'json' | 'signal' | 'stdout' | 'now' | 'timeoutMs'> & Intervals;

/**
 * The `--timeout`, `--min-interval` and `--max-interval` flags (parsed in that order) with the
 * output and clock; throws when the shortest wait is above the longest.
 */
export function commonSettings(
  values: Flags,
  io: Pick<WatchSettings, 'signal' | 'stdout' | 'now'>,
): { common: CommonSettings; intervals: Intervals } {
  const timeout = values.timeout !== undefined ? { timeoutMs: parseDuration('timeout', values.timeout) } : {};
  const intervals: Intervals = {
    ...(values['min-interval'] !== undefined
      ? { minIntervalMs: parseDuration('min-interval', values['min-interval']) }
      : {}),
    ...(values['max-interval'] !== undefined
      ? { maxIntervalMs: parseDuration('max-interval', values['max-interval']) }
      : {}),
  };
  if (
    intervals.minIntervalMs !== undefined &&
    intervals.minIntervalMs > (intervals.maxIntervalMs ?? MAX_INTERVAL_DEFAULT_MS)
  ) {
    const max = values['max-interval'] === undefined ? '30s, the default' : inert(values['max-interval']);
    throw new UsageError(
      `--min-interval (${inert(values['min-interval'] ?? '')}) is above --max-interval (${max}): give a shorter --min-interval or a longer --max-interval`,
    );
  }
  const common: CommonSettings = {
    json: values.json,
    signal: io.signal,
    stdout: io.stdout,
    ...(io.now ? { now: io.now } : {}),
    ...timeout,
    ...intervals,
  };
  return { common, intervals };
}
