#!/usr/bin/env node
// `pnpm size`: checks every bundle budget in /.size-limit.json with size-limit (esbuild, minified,
// brotli) and fails when an entry is over its budget. An entry may be listed in KNOWN_OVER while
// work to bring it within budget is open: it still fails if it grows past its ceiling (a ratchet),
// and the script fails when a listed entry fits its budget again, so the exception is removed.
import { runSizeLimit } from './lib/size-limit.mjs';

/** Entries over budget today, with the size they must not exceed and why (bytes). */
const KNOWN_OVER = {
  '@batchwatch/supermetrics-client': {
    ceiling: 6100,
    why: 'result pagers (rows, CSV/TSV reader, batch queries) ride on the sources; see BENCHMARKS.md section 5 and issue 9',
  },
};

const kB = (bytes) => `${(bytes / 1000).toFixed(2)} kB`;
let failed = 0;
for (const entry of runSizeLimit()) {
  const known = KNOWN_OVER[entry.name];
  let verdict;
  if (entry.passed) {
    verdict = known ? 'fits its budget now: remove it from KNOWN_OVER in scripts/size-gate.mjs' : 'ok';
    if (known) failed++;
  } else if (known && entry.size <= known.ceiling) {
    verdict = `OVER BUDGET (known, ceiling ${kB(known.ceiling)}: ${known.why})`;
  } else {
    verdict = known ? `OVER its ceiling ${kB(known.ceiling)}` : 'OVER BUDGET';
    failed++;
  }
  console.log(
    `${entry.name.padEnd(38)} ${kB(entry.size).padStart(9)} / ${kB(entry.sizeLimit).padStart(8)}  ${verdict}`,
  );
}
if (failed > 0) {
  console.error(`${failed} bundle budget check(s) failed`);
  process.exit(1);
}
