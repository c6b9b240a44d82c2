// Shared by the generator's tests: temp folders inside this package (so the generated code resolves
// @batchwatch/core and openapi-fetch from its node_modules), and tsc on them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = fileURLToPath(new URL('.', import.meta.url));
export const FIXTURE = join(HERE, 'fixtures/acme.yaml');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** A new empty folder under test/.tmp (git-ignored). */
export function tempDir(prefix: string): string {
  const root = join(HERE, '.tmp');
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, `${prefix}-`));
}

/** Every file under `dir` with its text, by path relative to `dir`: to show that nothing changed. */
export function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string, rel: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path, `${rel}${name}/`);
      else out[`${rel}${name}`] = readFileSync(path, 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Runs tsc on `dir` with a strict config and `skipLibCheck: false` (every .d.ts of core and
 * openapi-fetch checked too), over `include`. Resolves with its exit code and output.
 */
export function typecheck(dir: string, include: readonly string[] = ['**/*.ts']): { code: number; output: string } {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: true,
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        types: [],
        module: 'ESNext',
        moduleResolution: 'bundler',
      },
      include,
    }),
  );
  const run = spawnSync(process.execPath, [TSC, '-p', '.', '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
  return { code: run.status ?? 1, output: `${run.stdout}${run.stderr}` };
}
