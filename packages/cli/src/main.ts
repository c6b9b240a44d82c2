// `batchwatch`: parse the command line (args.ts), run the command's handler, and turn what it throws
// into a message and an exit code, in one place.
import { ValidationError } from '@batchwatch/core';
import {
  type CommandLine,
  type CommonSettings,
  commonSettings,
  type Intervals,
  parseBaseUrls,
  parseCommandLine,
} from './args.js';
import type { SourceCatalog } from './custom-sources.js';
import { parseJobRef, sourcesFor, UsageError } from './refs.js';
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
  batchwatch results <provider>:<kind>:<id> [--format ndjson|csv] [--max <n>]
                     [--partial] [options]
  batchwatch demo [--speed <n>] [--json]
  batchwatch worker --redis <url> [--rps <provider>=<n>]... [--concurrency <n>]
  batchwatch watch --redis <url> <provider>:<kind>:<id>... [options]
  batchwatch watch --sources <module.js> <provider>:<kind>:<id>... [options]
  batchwatch generate --spec <openapi.yaml> --out <folder>
                      [--job '<METHOD> <path>']...   (see generate --help)

Job references:
  supermetrics:query:<schedule_id>   supermetrics:batch:<batch_id>
  runflow:batch:<uuid>               runflow:run:<uuid>
  check:batch:<batch_id>
  <provider>:<kind>:<id> of your own: --sources <module.js>

Options:
  --json                    one NDJSON snapshot per change on stdout (scripts)
  --timeout <duration>      give up after this long, e.g. 90s, 10m, 1h (exit 3)
  --base-url <p>=<url>      API base URL of a provider (repeatable),
                            e.g. runflow=http://127.0.0.1:4010/runflow
  --supermetrics-key <key>  default: $SUPERMETRICS_API_KEY
  --runflow-key <token>     default: $RUNFLOW_API_TOKEN
  --check-key <key>         default: $CHECK_API_KEY
  --sources <module.js>     watch, results, worker: an ES module whose default
                            export is { <provider>: { <kind>: JobSource } }
  --min-interval <duration> shortest wait between polls of a job (default 1s)
  --max-interval <duration> longest wait between polls of a job (default 30s)
  --format ndjson|csv       results only: one JSON item per line, or CSV
                            (default ndjson)
  --csv-raw                 results only: write CSV cells that start with
                            = + - @ as they are (by default they get a
                            leading ' so spreadsheets do not run them)
  --max <n>                 results only: stop after n items
  --partial                 results only: write the items of a job that has
                            not ended yet
  --speed <n>               demo only: how much faster than real time the mock
                            jobs run (default 4)
  --redis <url>             worker, watch: poll through a @batchwatch/bullmq
                            fleet on this Redis
  --rps <provider>=<n>      worker only: requests per second to a provider
                            over every worker (repeatable)
  --concurrency <n>         worker only: polls in flight per provider in this
                            worker (default 10)
  -h, --help                show this help
  -v, --version             show the version

Exit codes: 0 every job succeeded; 1 a job failed, partially succeeded or was
cancelled (or its watch hit a fatal error); 2 usage error; 3 timeout;
130 interrupted (Ctrl-C).
results: 0 every item written; 1 an error (the job has not ended, 404...);
2 usage error; 130 interrupted.
`;

/** What a command's handler gets: the command line, the shared settings and the process's streams. */
interface Invocation extends CommandLine {
  common: CommonSettings;
  intervals: Intervals;
  io: CliIo;
}

/** `batchwatch watch <ref>...`, here or through a fleet (`--redis`). */
async function watchCommand({ rest, values, keys, keyNames, secrets, common }: Invocation): Promise<number> {
  if (rest.length === 0) throw new UsageError('watch needs at least one job reference, e.g. runflow:batch:<uuid>');
  const catalog = await catalogOf(values.sources);
  const refs = rest.map((text) => parseJobRef(text, catalog));
  if (values.redis !== undefined) {
    const { runFleetWatch } = await import('./fleet.js');
    return await runFleetWatch(refs, values.redis, parseBaseUrls(values['base-url'], catalog), common, catalog);
  }
  const settings = { keys, keyNames, baseUrls: parseBaseUrls(values['base-url'], catalog) };
  const sources = sourcesFor(refs, settings, true, catalog);
  return (await watchJobs(refs, sources, { ...common, secrets, keyNames })).exitCode;
}

/** `batchwatch results <ref>`: the job's items on stdout. */
async function resultsCommand({ rest, values, keys, keyNames, secrets, intervals, io }: Invocation): Promise<number> {
  if (rest.length !== 1) throw new UsageError('results needs exactly one job reference, e.g. check:batch:<batch_id>');
  const catalog = await catalogOf(values.sources);
  const ref = parseJobRef(rest[0] as string, catalog);
  const format = (values.format ?? 'ndjson') as ResultFormat;
  if (!RESULT_FORMATS.includes(format)) {
    throw new UsageError(`invalid --format "${values.format}": expected ${RESULT_FORMATS.join(' or ')}`);
  }
  if (values.max !== undefined && !/^[1-9]\d{0,15}$/.test(values.max)) {
    throw new UsageError(`invalid --max "${inert(values.max)}": expected a whole number of items above 0`);
  }
  if (values['csv-raw'] && format !== 'csv') throw new UsageError('--csv-raw only applies with --format csv');
  const settings = { keys, keyNames, baseUrls: parseBaseUrls(values['base-url'], catalog) };
  const [source] = sourcesFor([ref], settings, true, catalog);
  if (!source?.results) {
    throw new UsageError(
      `${ref.provider}:${ref.kind} jobs have no results; results reads supermetrics:query, supermetrics:batch, runflow:batch, check:batch and the --sources kinds with results`,
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
    ...intervals,
  });
}

/** `batchwatch demo`: the mock providers' jobs, watched. */
async function demoCommand({ values, common, io }: Invocation): Promise<number> {
  const speed = values.speed === undefined ? 4 : Number(values.speed);
  if (!(speed > 0 && speed <= 1000))
    throw new UsageError(`invalid --speed "${values.speed}": expected a number from 0 to 1000`);
  const { runDemo } = await import('./demo.js');
  return await runDemo({ ...common, speed, stderr: io.stderr });
}

/** `batchwatch worker --redis <url>`: a fleet worker until Ctrl-C or SIGTERM. */
async function workerCommand({ rest, values, keys, intervals, io }: Invocation): Promise<number> {
  if (values.redis === undefined) throw new UsageError('worker needs --redis <url>, e.g. redis://127.0.0.1:6379');
  if (rest.length > 0) throw new UsageError('worker takes no job references: add jobs with watch --redis');
  const { runFleetWorker, parseRates } = await import('./fleet.js');
  const catalog = await catalogOf(values.sources);
  if (values.concurrency !== undefined && !/^[1-9]\d{0,3}$/.test(values.concurrency)) {
    throw new UsageError(
      `invalid --concurrency "${inert(values.concurrency)}": expected a whole number from 1 to 9999`,
    );
  }
  return await runFleetWorker({
    redis: values.redis,
    keys,
    baseUrls: parseBaseUrls(values['base-url'], catalog),
    requestsPerSecond: parseRates(values.rps, catalog),
    catalog,
    ...(values.concurrency !== undefined ? { concurrency: Number(values.concurrency) } : {}),
    ...intervals,
    signal: io.signal,
    stderr: io.stderr,
  });
}

/** The job sources of `--sources <module>`, or none. */
async function catalogOf(path: string | undefined): Promise<SourceCatalog> {
  if (path === undefined) return {};
  const { loadSources } = await import('./custom-sources.js');
  return await loadSources(path);
}

/** The handler of each command but `generate` (which has flags of its own). */
const COMMANDS: Record<string, (invocation: Invocation) => Promise<number>> = {
  watch: watchCommand,
  results: resultsCommand,
  demo: demoCommand,
  worker: workerCommand,
};

/** `batchwatch generate`: parsed apart, as it has flags of its own and touches no provider. */
async function generateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { runGenerate } = await import('./generate.js');
  return runGenerate(args, io);
}

/** Writes what ended a command to stderr (keys redacted, control characters escaped); returns the exit code. */
function reportError(error: unknown, redact: Redact, io: CliIo): number {
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

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'generate') return generateCommand(argv.slice(1), io);
  let redact: Redact = (text) => text;
  try {
    const line = parseCommandLine(argv, io.env);
    redact = redactor(line.secrets);
    if (line.values.help || line.command === 'help') {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    if (line.values.version) {
      io.stdout.write('batchwatch 0.0.0\n');
      return EXIT.ok;
    }
    const shared = commonSettings(line.values, io);
    if (line.command === undefined) {
      io.stderr.write(`batchwatch: missing command: watch, results, demo, worker or generate\n\n${HELP}`);
      return EXIT.usage;
    }
    const handler = Object.hasOwn(COMMANDS, line.command) ? COMMANDS[line.command] : undefined;
    if (!handler) {
      throw new UsageError(
        `unknown command "${inert(line.command)}": expected watch, results, demo, worker or generate`,
      );
    }
    return await handler({ ...line, ...shared, io });
  } catch (error) {
    return reportError(error, redact, io);
  }
}
