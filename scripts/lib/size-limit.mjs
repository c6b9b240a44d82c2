// Runs size-limit (esbuild, minified, brotli) from the repo root and returns its JSON report: one
// entry per check of /.size-limit.json, or of `config` when given. Shared by `pnpm size`
// (scripts/size-gate.mjs) and the bundle-size benchmark (bench/size.mjs).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
// size-limit (a root devDependency) exports no bin path, so its file is used as installed.
const bin = `${root}node_modules/size-limit/bin.js`;

/** @returns {{ name: string, size: number, sizeLimit?: number, passed: boolean }[]} */
export function runSizeLimit(config) {
  // size-limit finds its esbuild preset through the root package.json, so it runs from the root.
  const run = spawnSync(process.execPath, [bin, '--json', ...(config ? ['--config', config] : [])], {
    cwd: root,
    encoding: 'utf8',
  });
  const start = run.stdout.indexOf('[');
  if (start < 0) throw new Error(`size-limit printed no JSON:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.slice(start));
}
