// `batchwatch generate`: the flags of @batchwatch/codegen's `generate`, its report, and its exit codes.
// The generator is an optional peer (build-time only, with openapi-typescript and TypeScript behind
// it), loaded when the command runs.
import { parseArgs } from 'node:util';
import type { CliIo } from './main.js';
import { inert } from './text.js';

/** The text of `batchwatch generate --help`. */
export const GENERATE_HELP = `batchwatch generate - a typed client and job kinds from an OpenAPI spec

Usage:
  batchwatch generate --spec <openapi.yaml> --out <folder>
                      [--job '<METHOD> <path>']... [options]

Options:
  --spec <file>             the OpenAPI 3.0 or 3.1 document (YAML or JSON)
  --out <folder>            where to write: a new or empty folder, or one this
                            command wrote
  --job '<METHOD> <path>'   the operation that reads one job's status, as the
                            spec names it, with or without the server's path
                            in front, e.g. 'GET /v1/batches/{batch_id}';
                            '<kind>=GET ...' names the kind (repeatable)
  --provider <name>         the provider name, e.g. openai (default: the --out
                            folder's name)
  --status-field <field>    the status field, when the response has no obvious
                            one (dotted: data.status)
  --mock                    also write <provider>.mock.ts: the jobs' mock for
                            tests (@batchwatch/msw)
  --types-only              only the types and parameter rules, for a client
                            written by hand
  --check                   write nothing; exit 1 when a generated file
                            differs from the spec's
  -h, --help                show this help

Writes schema.gen.ts (openapi-typescript), params.gen.ts (parameter rules),
client.gen.ts (the openapi-fetch client, its error parser, and each job's types
and operations), <kind>.kind.ts per --job (the job-kind description, written
once and then yours: each TODO in its status table fails typecheck until you
choose) and batchwatch.gen.json (the files it owns). It needs
@batchwatch/codegen installed beside the CLI:
  npm i -D @batchwatch/cli @batchwatch/codegen

Exit codes: 0 written or up to date; 1 --check found a generated file out of
date; 2 bad input (the spec, a --job, the status field or the output folder):
nothing was written.
Guide:
  https://github.com/batchwatch/batchwatch/blob/main/docs/custom-provider.md
`;

const GUIDE = 'https://github.com/batchwatch/batchwatch/blob/main/docs/custom-provider.md';

const parse = (args: readonly string[]) =>
  parseArgs({
    args: [...args],
    allowPositionals: false,
    strict: true,
    options: {
      spec: { type: 'string' },
      out: { type: 'string' },
      job: { type: 'string', multiple: true, default: [] },
      provider: { type: 'string' },
      'status-field': { type: 'string' },
      'types-only': { type: 'boolean', default: false },
      mock: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

/** The subset of `@batchwatch/codegen` the command uses (it is loaded at run time). */
type Codegen = typeof import('@batchwatch/codegen');

async function loadCodegen(): Promise<Codegen | undefined> {
  try {
    return await import('@batchwatch/codegen');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('@batchwatch/codegen')) {
      return undefined;
    }
    throw error;
  }
}

/** Runs `batchwatch generate <argv>`; resolves with the exit code. */
export async function runGenerate(argv: readonly string[], io: CliIo, cwd = process.cwd()): Promise<number> {
  const usage = (message: string) => {
    io.stderr.write(`batchwatch generate: ${inert(message)}\nRun "batchwatch generate --help" for usage.\n`);
    return 2;
  };
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    io.stdout.write(GENERATE_HELP);
    return 0;
  }
  if (values['types-only'] && values.job.length > 0) return usage('--job needs the client: leave out --types-only');
  const codegen = await loadCodegen();
  if (!codegen) {
    io.stderr.write(
      'batchwatch generate: @batchwatch/codegen is not installed. It is build-time only, so the CLI does not bring it: npm i -D @batchwatch/codegen\n',
    );
    return 1;
  }
  let result: Awaited<ReturnType<Codegen['generate']>>;
  try {
    result = await codegen.generate({
      spec: values.spec ?? '',
      out: values.out ?? '',
      jobs: values.job,
      ...(values.provider === undefined ? {} : { provider: values.provider }),
      ...(values['status-field'] === undefined ? {} : { statusField: values['status-field'] }),
      emit: values['types-only'] ? 'types' : 'client',
      mock: values.mock,
      check: values.check,
      cwd,
    });
  } catch (error) {
    if (error instanceof codegen.CodegenError) return usage(error.message);
    throw error;
  }
  for (const file of result.files) {
    const path = inert(file.path);
    if (values.check) {
      if (file.role === 'starting-point') continue;
      if (file.state === 'up-to-date') io.stdout.write(`✓ ${path}\n`);
      else io.stderr.write(`✗ ${path} is ${file.state === 'missing' ? 'missing' : 'out of date with the spec'}\n`);
    } else if (file.role === 'starting-point') {
      io.stdout.write(file.state === 'kept' ? `kept ${path} (yours: never overwritten)\n` : `wrote ${path}\n`);
    } else {
      io.stdout.write(`${file.state === 'written' ? 'wrote' : 'unchanged'} ${path}\n`);
    }
  }
  if (values.check) {
    if (!result.drift) return 0;
    io.stderr.write(
      'Generated files differ from the spec: run the same command without --check and commit the result.\n',
    );
    return 1;
  }
  const fresh = result.jobs.filter((job) => result.files.some((f) => f.path === job.file && f.state === 'written'));
  for (const job of fresh) {
    const todo =
      job.todo.length > 0
        ? `map ${job.todo.map(inert).join(', ')} (each TODO fails typecheck until you choose), then `
        : '';
    io.stdout.write(`\n${inert(job.file)}: ${todo}check the counts and the failure it guessed.\n`);
  }
  if (fresh.length > 0) {
    io.stdout.write(
      `The generated code imports @batchwatch/core and openapi-fetch: npm i @batchwatch/core openapi-fetch\nGuide: ${GUIDE}\n`,
    );
  }
  return 0;
}
