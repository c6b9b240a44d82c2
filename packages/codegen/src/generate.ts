// `batchwatch generate`: everything is computed and checked first (spec, jobs, the output folder), and
// only then written, so bad input writes nothing.
import { basename, join, relative, resolve } from 'node:path';
import { foreignEntries, GENERATOR, header, MANIFEST, type Planned, slash, writeFiles } from './folder.js';
import { type PlannedJob, planJob } from './jobs.js';
import { jobNames, type Names, namesOf } from './names.js';
import { paramsFor } from './params.js';
import { clientFor } from './render-client.js';
import { kindFor } from './render-kind.js';
import { mockFor } from './render-mock.js';
import {
  CodegenError,
  type Json,
  type LoadedSpec,
  loadSpec,
  operation,
  printable,
  type SpecOperation,
} from './spec.js';
import { typesFor } from './types.js';

/** Options for {@link generate}: the flags of `batchwatch generate`. */
export interface GenerateOptions {
  /** The OpenAPI 3.0 or 3.1 document, YAML or JSON (`--spec`). */
  spec: string;
  /** The folder to write (`--out`). It must be new, empty, or hold only files this command wrote. */
  out: string;
  /**
   * The operations that read one job's status, as the spec names them, optionally with the server
   * URL's path in front and a kind name: `'GET /v1/batches/{batch_id}'`, `'batch=GET /batches/{id}'`
   * (`--job`, repeatable). Each gets a job-kind description to start from. Defaults to none.
   */
  jobs?: readonly string[];
  /**
   * The provider name (`--provider`): a lower-case name such as `openai` or `my-api`, used in
   * snapshots, errors and export names. Defaults to the output folder's name (or the spec title's
   * first word when the folder has a generic name such as `generated`).
   */
  provider?: string;
  /** The status field of every `--job` response whose status field is not obvious (`--status-field`, dotted). */
  statusField?: string;
  /**
   * Also write `<provider>.mock.ts` (`--mock`): the jobs' mock provider for tests, from
   * `@batchwatch/msw`'s `defineMockProvider`, written once like the job kinds. Defaults to `false`.
   */
  mock?: boolean;
  /**
   * What to write: `'client'` (types, parameter rules, the client with its error parser, and a job
   * kind per `--job`) or `'types'` (types and parameter rules only, for a client written by hand,
   * like batchwatch's own). Defaults to `'client'`.
   */
  emit?: 'client' | 'types';
  /** Write nothing: report which generated files differ from what the spec gives (`--check`). Defaults to `false`. */
  check?: boolean;
  /** Paths in headers and in the result are relative to this folder. Defaults to `process.cwd()`. */
  cwd?: string;
  /** The command the generated headers tell readers to run again. Defaults to `batchwatch generate`. */
  command?: string;
}

/** What {@link generate} did (or, with `check`, found) for one file. */
export type FileState = 'written' | 'unchanged' | 'kept' | 'up-to-date' | 'out-of-date' | 'missing';

/** One file of the output folder. */
export interface GeneratedFile {
  /** Relative to `cwd`, with `/`. */
  path: string;
  /**
   * `generated`: rewritten from the spec each run, compared by `check`; `starting-point`: a job kind
   * written once, then the user's (never overwritten, never compared); `manifest`: the list of the
   * files the command wrote (`batchwatch.gen.json`).
   */
  role: 'generated' | 'starting-point' | 'manifest';
  /** What happened to it. */
  state: FileState;
}

/** One `--job` as it was understood. */
export interface GeneratedJob {
  /** The kind name, e.g. `batch`. */
  kind: string;
  /** The operation as the spec names it, e.g. `GET /batches/{batch_id}`. */
  operation: string;
  /** The status field read. */
  statusField: string;
  /** The documented statuses. */
  statuses: string[];
  /** The statuses left as TODOs (their name does not make their meaning obvious). */
  todo: string[];
  /** The starting-point file, relative to `cwd`. */
  file: string;
}

/** What {@link generate} returns. */
export interface GenerateResult {
  /** The provider name used. */
  provider: string;
  /** Every file, in the order written. */
  files: GeneratedFile[];
  /** The jobs planned. */
  jobs: GeneratedJob[];
  /** With `check`: whether a generated file is out of date or missing. Always `false` otherwise. */
  drift: boolean;
}

const GENERIC_FOLDERS = new Set(['generated', 'gen', 'src', 'client', 'clients', 'api', 'lib', 'out', 'output']);

function providerName(options: GenerateOptions, title: unknown, out: string): string {
  if (options.provider !== undefined) {
    if (typeof options.provider !== 'string' || !/^[a-z][a-z0-9-]{0,39}$/.test(options.provider)) {
      throw new CodegenError(
        `--provider "${printable(String(options.provider))}": expected a lower-case name of letters, digits and dashes starting with a letter, e.g. openai or my-api`,
      );
    }
    return options.provider;
  }
  const clean = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^[^a-z]+|-+$/g, '');
  const folder = clean(basename(out));
  if (folder && !GENERIC_FOLDERS.has(folder)) return folder;
  const word = typeof title === 'string' ? clean(title.split(/\s+/)[0] ?? '') : '';
  if (word) return word;
  throw new CodegenError(
    'name the provider with --provider <name> (e.g. --provider openai): the output folder and the spec title do not give one',
  );
}

function validate(options: GenerateOptions): void {
  if (options === null || typeof options !== 'object') throw new CodegenError('generate() takes an options object');
  if (typeof options.spec !== 'string' || options.spec === '') {
    throw new CodegenError('--spec is missing: name the OpenAPI 3.x document, e.g. --spec ./openapi.yaml');
  }
  if (typeof options.out !== 'string' || options.out === '') {
    throw new CodegenError('--out is missing: name the folder to write, e.g. --out src/openai');
  }
  const emit = options.emit ?? 'client';
  if (emit !== 'client' && emit !== 'types') {
    throw new CodegenError(`emit "${printable(String(emit))}": expected 'client' or 'types'`);
  }
  if (options.jobs !== undefined && (!Array.isArray(options.jobs) || options.jobs.some((j) => typeof j !== 'string'))) {
    throw new CodegenError("jobs: expected a list of operations, e.g. ['GET /v1/batches/{batch_id}']");
  }
  if (emit === 'types' && (options.jobs?.length ?? 0) > 0) {
    throw new CodegenError("--job needs the client output: jobs are not generated with emit 'types'");
  }
  if (options.mock && (options.jobs?.length ?? 0) === 0) {
    throw new CodegenError("--mock needs at least one --job: the mock serves the jobs' kinds");
  }
}

/**
 * Generates a typed client and job kinds from an OpenAPI 3.x spec into `out`, or with `check`
 * reports drift. Into `out` go `schema.gen.ts` (openapi-typescript `paths`), `params.gen.ts` (the
 * parameter rules the request guard checks) and, unless `emit: 'types'`, `client.gen.ts` (the
 * openapi-fetch client with auth, the guard and the error parser, and per job its raw type, its
 * `Known...Status` union and its operations) and one `<kind>.kind.ts` per job: the job-kind
 * description with its status table prefilled by name, written once and never overwritten.
 *
 * Bad input throws {@link CodegenError} and writes nothing: a spec that does not parse or is not
 * OpenAPI 3.x, a job operation it lacks, a response with no status-like field, an output folder
 * holding files this command did not write.
 *
 * @example
 * const result = await generate({ spec: 'openai.yaml', out: 'src/openai', jobs: ['GET /v1/batches/{batch_id}'] });
 * for (const job of result.jobs) console.log(job.file, 'statuses to map:', job.todo);
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  validate(options);
  const cwd = resolve(options.cwd ?? process.cwd());
  const out = resolve(cwd, options.out);
  const specPath = resolve(cwd, options.spec);
  const emit = options.emit ?? 'client';
  const spec = loadSpec(specPath);
  const jobs = planJobs(spec.doc, options);
  const provider = emit === 'client' ? providerName(options, spec.doc.info?.title, out) : '';
  const names = namesOf(provider || 'api');
  const planned = await planFiles(spec, jobs, names, {
    head: header(slash(relative(cwd, specPath)), spec.sha256, options.command ?? 'batchwatch generate'),
    specName: slash(relative(cwd, specPath)),
    options,
  });
  const foreign = foreignEntries(out, planned);
  if (foreign.length > 0) {
    throw new CodegenError(
      `--out ${printable(slash(relative(cwd, out)) || '.')} holds files batchwatch generate did not write: ${foreign.map(printable).join(', ')}. Nothing was written: generate into a new or empty folder, or move those files out (the command rewrites its own files there)`,
    );
  }
  const { files, drift } = writeFiles(planned, out, cwd, options.check === true);
  return {
    provider,
    files,
    drift,
    jobs: jobs.map((job) => ({
      kind: job.kind,
      operation: job.operation,
      statusField: job.statusField,
      statuses: [...job.statuses],
      todo: job.mapping.filter(([, s]) => s === undefined).map(([raw]) => raw),
      file: slash(relative(cwd, join(out, jobNames(names, job).file))),
    })),
  };
}

/** Plans every `--job`; two of the same kind are refused. */
function planJobs(spec: Json, options: GenerateOptions): PlannedJob[] {
  const jobs = (options.jobs ?? []).map((j) => planJob(spec, j, options.statusField));
  const kinds = new Set<string>();
  for (const job of jobs) {
    if (kinds.has(job.kind)) {
      throw new CodegenError(
        `two --job operations are both of kind "${job.kind}": name them, e.g. --job '${job.kind}-status=${job.operation}'`,
      );
    }
    kinds.add(job.kind);
  }
  return jobs;
}

/** The spec's `paths` types by openapi-typescript; its failure is a CodegenError naming the spec. */
async function typesOf(spec: Json, specName: string): Promise<string> {
  try {
    return await typesFor(spec);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
    throw new CodegenError(`openapi-typescript could not read ${printable(specName)}: ${printable(message)}`);
  }
}

/** Every file to write, in order: the types, the parameter rules, the client and job kinds (and mock) unless types only, the manifest. */
async function planFiles(
  spec: LoadedSpec,
  jobs: readonly PlannedJob[],
  names: Names,
  { head, specName, options }: { head: string; specName: string; options: GenerateOptions },
): Promise<Planned[]> {
  const types = await typesOf(spec.doc, options.spec);
  const planned: Planned[] = [
    { name: 'schema.gen.ts', role: 'generated', text: `${head}${types}` },
    { name: 'params.gen.ts', role: 'generated', text: `${head}${paramsFor(spec.doc)}` },
  ];
  const client = (options.emit ?? 'client') === 'client';
  if (client) {
    const reads = jobs.map((j) => operation(spec.doc, j.method, j.path) as SpecOperation);
    planned.push({
      name: 'client.gen.ts',
      role: 'generated',
      text: `${head}${clientFor(spec.doc, names, jobs, reads)}`,
    });
    jobs.forEach((job, i) => {
      planned.push({
        name: jobNames(names, job).file,
        role: 'starting-point',
        text: kindFor(names, job, reads[i] as SpecOperation),
      });
    });
    if (options.mock) {
      planned.push({ name: `${names.provider}.mock.ts`, role: 'starting-point', text: mockFor(names, jobs) });
    }
  }
  const manifest = {
    generator: GENERATOR,
    note: 'The files batchwatch generate wrote in this folder. It refuses a folder that holds any other file.',
    spec: specName,
    ...(client ? { provider: names.provider, jobs: jobs.map((j) => j.operation) } : {}),
    files: Object.fromEntries(planned.map((p) => [p.name, p.role])),
  };
  planned.push({ name: MANIFEST, role: 'manifest', text: `${JSON.stringify(manifest, null, 2)}\n` });
  return planned;
}
