#!/usr/bin/env node
// `pnpm size`: checks every bundle budget in /.size-limit.json with size-limit (esbuild, minified,
// brotli) and fails when any entry is over its budget. There are no exceptions: an entry over
// budget fails CI until it is brought back within it (or its budget is changed in the open, with
// the reason in BENCHMARKS.md section 5).
import { runSizeLimit } from './lib/size-limit.mjs';

const kB = (bytes) => `${(bytes / 1000).toFixed(2)} kB`;
const entries = runSizeLimit();
const width = Math.max(...entries.map((e) => e.name.length));
let failed = 0;
for (const entry of entries) {
  if (!entry.passed) failed++;
  console.log(
    `${entry.name.padEnd(width)} ${kB(entry.size).padStart(9)} / ${kB(entry.sizeLimit).padStart(8)}  ${entry.passed ? 'ok' : 'OVER BUDGET'}`,
  );
}
if (failed > 0) {
  console.error(`${failed} bundle budget check(s) failed`);
  process.exit(1);
}
