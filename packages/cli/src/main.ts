import { parseArgs } from 'node:util';
import { ValidationError } from '@batchwatch/core';
import { KEY_ENV, KINDS, type ProviderName, parseJobRef, sourcesFor, UsageError } from './refs.js';
import type { Output } from './report.js';
import { RESULT_FORMATS, type ResultFormat, writeResults } from './results.js';
import { inert, type Redact, redactor } from './text.js';
import { EXIT, watchJobs } from './watch.js';

/** What {@link run} reads and writes: the process's streams and environment, or test doubles. */
export interface CliIo {
  /** Snapshots, bars and summaries. */
  stdout: Output;
  /** Usage errors and notices. */
  stderr: Output;
  /** Where keys come from (`SUPERMETRICS_API_KEY`, `RUNFLOW_API_TOKEN`, `CHECK_API_KEY`). */
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** The clock for elapsed times. Defaults to `Date.now`. */
  now?: () => number;
}

/** The text of `batchwatch --help`. */
export const HELP = `batchwatch - watch batch jobs at Supermetrics, Runflow and Check

Usage:
  batchwatch watch <provider>:<kind>:<id>... [options]
  batchwatch results <provider>:<kind>:<id> [--format ndjson|csv] [--max <n>] [--partial] [options]
  batchwatch demo [--speed <n>] [--json]
  batchwatch worker --redis <url> [--rps <provider>=<n>]... [--concurrency <n>]
  batchwatch watch --redis <url> <provider>:<kind>:<id>... [options]
  batchwatch generate --spec <openapi.yaml> --out <folder> [--job '<METHOD> <path>']...  (see generate --help)

Job references:
  supermetrics:query:<schedule_id>   supermetrics:batch:<batch_id>
  runflow:batch:<uuid>               runflow:run:<uuid>
  check:batch:<batch_id>

Options:
  --json                    one NDJSON snapshot per change on stdout, for scripts
  --timeout <duration>      give up after this long, e.g. 90s, 10m, 1h (exit 3)
  --base-url <p>=<url>      API base URL of a provider, e.g. runflow=http://127.0.0.1:4010/runflow (repeatable)
  --supermetrics-key <key>  default: $SUPERMETRICS_API_KEY
  --runflow-key <token>     default: $RUNFLOW_API_TOKEN
  --check-key <key>         default: $CHECK_API_KEY
  --min-interval <duration> shortest wait between polls of a job (default 1s)
  --max-interval <duration> longest wait between polls of a job (default 30s)
  --format ndjson|csv       results only: one JSON item per line, or CSV (default ndjson)
  --csv-raw                 results only: write CSV cells that start with = + - @ as they are
                            (by default they get a leading ' so spreadsheets do not run them)
  --max <n>                 results only: stop after n items
  --partial                 results only: write the items of a job that has not ended yet
  --speed <n>               demo only: how much faster than real time the mock jobs run (default 4)
  --redis <url>             worker, watch: poll through a @batchwatch/bullmq fleet on this Redis
  --rps <provider>=<n>      worker only: requests per second to a provider over every worker (repeatable)
  --concurrency <n>         worker only: polls in flight per provider in this worker (default 10)
  -h, --help                show this help
  -v, --version             show the version

Exit codes: 0 every job succeeded; 1 a job failed, partially succeeded or was cancelled (or its
watch hit a fatal error); 2 usage error; 3 timeout; 130 interrupted (Ctrl-C).
results: 0 every item written; 1 an error (the job has not ended, 404...); 2 usage error; 130 interrupted.
`;

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

function parseBaseUrls(values: readonly string[]): Partial<Record<ProviderName, string>> {
  const out: Partial<Record<ProviderName, string>> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const provider = value.slice(0, eq);
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
function readKeys(values: Record<string, unknown>, env: CliIo['env']) {
  const keys: Partial<Record<ProviderName, string>> = {};
  const keyNames: Partial<Record<ProviderName, string>> = {};
  // Every configured key is redacted from output, a variable overridden by its flag included.
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

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  // `generate` has flags of its own and touches no provider: it is parsed apart.
  if (argv[0] === 'generate') {
    const { runGenerate } = await import('./generate.js');
    return runGenerate(argv.slice(1), io);
  }
  let redact: Redact = (text) => text;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
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
    const [command, ...rest] = positionals;
    const { keys, keyNames, secrets } = readKeys(values, io.env);
    redact = redactor(secrets);
    if (values.help || command === 'help') {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    if (values.version) {
      io.stdout.write('batchwatch 0.0.0\n');
      return EXIT.ok;
    }
    const common = {
      json: values.json,
      signal: io.signal,
      stdout: io.stdout,
      ...(io.now ? { now: io.now } : {}),
      ...(values.timeout !== undefined ? { timeoutMs: parseDuration('timeout', values.timeout) } : {}),
      ...(values['min-interval'] !== undefined
        ? { minIntervalMs: parseDuration('min-interval', values['min-interval']) }
        : {}),
      ...(values['max-interval'] !== undefined
        ? { maxIntervalMs: parseDuration('max-interval', values['max-interval']) }
        : {}),
    };
    if (
      common.minIntervalMs !== undefined &&
      common.minIntervalMs > (common.maxIntervalMs ?? MAX_INTERVAL_DEFAULT_MS)
    ) {
      const max = values['max-interval'] === undefined ? '30s, the default' : inert(values['max-interval']);
      throw new UsageError(
        `--min-interval (${inert(values['min-interval'] ?? '')}) is above --max-interval (${max}): give a shorter --min-interval or a longer --max-interval`,
      );
    }
    if (command === 'worker') {
      if (values.redis === undefined) throw new UsageError('worker needs --redis <url>, e.g. redis://127.0.0.1:6379');
      if (rest.length > 0) throw new UsageError('worker takes no job references: add jobs with watch --redis');
      const { runFleetWorker, parseRates } = await import('./fleet.js');
      if (values.concurrency !== undefined && !/^[1-9]\d{0,3}$/.test(values.concurrency)) {
        throw new UsageError(
          `invalid --concurrency "${inert(values.concurrency)}": expected a whole number from 1 to 9999`,
        );
      }
      return await runFleetWorker({
        redis: values.redis,
        keys,
        baseUrls: parseBaseUrls(values['base-url']),
        requestsPerSecond: parseRates(values.rps),
        ...(values.concurrency !== undefined ? { concurrency: Number(values.concurrency) } : {}),
        ...(common.minIntervalMs !== undefined ? { minIntervalMs: common.minIntervalMs } : {}),
        ...(common.maxIntervalMs !== undefined ? { maxIntervalMs: common.maxIntervalMs } : {}),
        signal: io.signal,
        stderr: io.stderr,
      });
    }
    if (command === 'watch') {
      if (rest.length === 0) throw new UsageError('watch needs at least one job reference, e.g. runflow:batch:<uuid>');
      const refs = rest.map(parseJobRef);
      if (values.redis !== undefined) {
        const { runFleetWatch } = await import('./fleet.js');
        return await runFleetWatch(refs, values.redis, parseBaseUrls(values['base-url']), common);
      }
      const sources = sourcesFor(refs, { keys, keyNames, baseUrls: parseBaseUrls(values['base-url']) });
      return (await watchJobs(refs, sources, { ...common, secrets, keyNames })).exitCode;
    }
    if (command === 'results') {
      if (rest.length !== 1)
        throw new UsageError('results needs exactly one job reference, e.g. check:batch:<batch_id>');
      const ref = parseJobRef(rest[0] as string);
      const format = (values.format ?? 'ndjson') as ResultFormat;
      if (!RESULT_FORMATS.includes(format)) {
        throw new UsageError(`invalid --format "${values.format}": expected ${RESULT_FORMATS.join(' or ')}`);
      }
      if (values.max !== undefined && !/^[1-9]\d{0,15}$/.test(values.max)) {
        throw new UsageError(`invalid --max "${inert(values.max)}": expected a whole number of items above 0`);
      }
      if (values['csv-raw'] && format !== 'csv') throw new UsageError('--csv-raw only applies with --format csv');
      const [source] = sourcesFor([ref], { keys, keyNames, baseUrls: parseBaseUrls(values['base-url']) });
      if (!source?.results) {
        throw new UsageError(
          `${ref.provider}:${ref.kind} jobs have no results; results reads supermetrics:query, supermetrics:batch, runflow:batch and check:batch`,
        );
      }
      return await writeResults(ref, source, {
        format,
        csvRaw: values['csv-raw'],
        partial: values.partial,
        secrets,
        keyNames,
        ...(values.max !== undefined ? { max: Number(values.max) } : {}),
        signal: io.signal,
        stdout: io.stdout,
        stderr: io.stderr,
        ...(common.minIntervalMs !== undefined ? { minIntervalMs: common.minIntervalMs } : {}),
        ...(common.maxIntervalMs !== undefined ? { maxIntervalMs: common.maxIntervalMs } : {}),
      });
    }
    if (command === 'demo') {
      const speed = values.speed === undefined ? 4 : Number(values.speed);
      if (!(speed > 0 && speed <= 1000))
        throw new UsageError(`invalid --speed "${values.speed}": expected a number from 0 to 1000`);
      const { runDemo } = await import('./demo.js');
      return await runDemo({ ...common, speed, stderr: io.stderr });
    }
    if (command === undefined) {
      io.stderr.write(`batchwatch: missing command: watch, results, demo, worker or generate\n\n${HELP}`);
      return EXIT.usage;
    }
    throw new UsageError(`unknown command "${inert(command)}": expected watch, results, demo, worker or generate`);
  } catch (error) {
    const message = inert(redact(error instanceof Error ? error.message : String(error)));
    // A ValidationError that gets here came from the command line, before anything was sent.
    if (
      error instanceof UsageError ||
      error instanceof ValidationError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.stderr.write(`batchwatch: ${message}\nRun "batchwatch --help" for usage.\n`);
      return EXIT.usage;
    }
    io.stderr.write(`batchwatch: ${message}\n`);
    return EXIT.jobFailed;
  }
}
