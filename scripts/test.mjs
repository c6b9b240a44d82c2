#!/usr/bin/env node
// `pnpm test`: everything a fresh clone needs, in order. Installs the programs the tests need when
// missing (scripts/ensure-services.mjs), builds (turbo), runs every vitest project (extra arguments
// go to vitest, e.g. `pnpm test --project cli`), and ends with the summary line CI reads.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureServices } from './ensure-services.mjs';
import { serviceEnv } from './lib/services.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const results = 'test-results.json';
const run = (command, args, env = process.env) =>
  spawnSync(command, args, { cwd: root, stdio: 'inherit', env, shell: process.platform === 'win32' }).status;

// A report left by an earlier run must never be read as this run's.
rmSync(`${root}${results}`, { force: true });
ensureServices();
const built = run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
if (built === 0) {
  run(
    'pnpm',
    [
      'exec',
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${results}`,
      ...process.argv.slice(2),
    ],
    { ...process.env, ...serviceEnv() },
  );
}
process.exit(run(process.execPath, ['scripts/test-summary.mjs', results]) ?? 1);
