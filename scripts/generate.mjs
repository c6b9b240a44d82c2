#!/usr/bin/env node
// `pnpm generate`: regenerates every generated client of the repo with @batchwatch/codegen, the code
// path of `batchwatch generate` (there is no second generator):
// - packages/<provider>-client/src/generated/{schema,params}.gen.ts from specs/<provider>/openapi.yaml,
//   as listed in specs/redocly.yaml (types and parameter rules only: the clients are written by hand);
// - examples/openai-batch/src/openai from the example's trimmed OpenAI spec (the full user output).
// `--check` writes nothing and exits 1 when a committed file differs. Positional arguments pick
// entries by name (`pnpm generate check openai-batch`).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const configArg = process.argv.find((a) => a.startsWith('--config='));
const configPath = configArg ? resolve(configArg.slice('--config='.length)) : resolve(root, 'specs/redocly.yaml');
const config = parse(readFileSync(configPath, 'utf8'));

// The generator is a package of this repo: build it first (turbo replays it from cache when unchanged).
const built = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'build', '--filter=@batchwatch/codegen', '--output-logs=errors-only'],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
if (built.status !== 0) {
  console.error('could not build @batchwatch/codegen (pnpm exec turbo run build --filter=@batchwatch/codegen)');
  process.exit(1);
}
const { generate, CodegenError } = await import(pathToFileURL(resolve(root, 'packages/codegen/dist/index.js')).href);

const entries = Object.entries(config.apis).map(([name, api]) => ({
  name,
  options: {
    spec: resolve(dirname(configPath), api.root),
    out: dirname(resolve(dirname(configPath), api['x-openapi-ts'].output)),
    emit: 'types',
    cwd: root,
    command: 'pnpm generate',
  },
}));
// The example is generated exactly as its `pnpm generate` script runs the CLI (from its own folder).
entries.push({
  name: 'openai-batch',
  options: {
    spec: 'spec/openapi.yaml',
    out: 'src/openai',
    provider: 'openai',
    jobs: ['GET /v1/batches/{batch_id}'],
    mock: true,
    cwd: resolve(root, 'examples/openai-batch'),
  },
});

let drift = 0;
for (const { name, options } of entries) {
  if (only.length > 0 && !only.includes(name)) continue;
  let result;
  try {
    result = await generate({ ...options, check });
  } catch (error) {
    if (!(error instanceof CodegenError)) throw error;
    console.error(`✗ ${name}: ${error.message}`);
    process.exit(1);
  }
  const prefix = options.cwd === root ? '' : `${options.cwd.slice(root.length + 1)}/`;
  for (const file of result.files) {
    const rel = `${prefix}${file.path}`;
    if (file.role === 'starting-point') continue;
    if (check) {
      if (file.state === 'up-to-date') console.log(`✓ ${rel}`);
      else {
        drift++;
        console.error(`✗ ${rel} is ${file.state === 'missing' ? 'missing' : 'out of date'} (${name})`);
      }
    } else if (file.state === 'written') console.log(`wrote ${rel}`);
    else console.log(`unchanged ${rel}`);
  }
}
if (drift > 0) {
  console.error('Generated clients differ from the specs. Fix: run `pnpm generate` and commit the changed files.');
  process.exit(1);
}
