// What `pnpm mutation` mutates and how a file's score is counted (shared by the Stryker config, the
// gate in scripts/mutation.mjs and the test summary).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

/** Every file's mutation score must be at least this, in percent. */
export const THRESHOLD = 90;

/**
 * The files that hold rules: the poll schedule, the poll-state reducer, the end estimate, the
 * notification rules, handle checks and the handle format, job states, result paging, the scheduler's provider gate,
 * the poll loop's state machine, the client kit (hints, Retry-After, results and errors, options,
 * request guard, size cap, redirects, params, shapes, snapshots, job kinds and their pagers), each
 * client's status vocabulary and job kinds (its status/progress mapping), and webhook verification
 * in core and the clients.
 */
export const MUTATED = [
  'packages/core/src/next-delay.ts',
  'packages/core/src/internal/loop.ts',
  'packages/core/src/internal/step.ts',
  'packages/core/src/internal/estimate.ts',
  'packages/core/src/internal/notices.ts',
  'packages/core/src/handle-parse.ts',
  'packages/core/src/handle-format.ts',
  'packages/core/src/job-state.ts',
  'packages/core/src/results/index.ts',
  'packages/core/src/results/stream.ts',
  'packages/core/src/results/page-run.ts',
  'packages/core/src/scheduler.ts',
  'packages/core/src/client-kit/http.ts',
  'packages/core/src/client-kit/kind.ts',
  'packages/core/src/client-kit/pager.ts',
  'packages/core/src/client-kit/job-source.ts',
  'packages/core/src/client-kit/options.ts',
  'packages/core/src/client-kit/params.ts',
  'packages/core/src/client-kit/shape.ts',
  'packages/core/src/client-kit/snapshot.ts',
  'packages/core/src/webhooks/index.ts',
  'packages/core/src/http/caller-limit.ts',
  'packages/supermetrics-client/src/vocabulary.ts',
  'packages/supermetrics-client/src/kinds.ts',
  'packages/runflow-client/src/vocabulary.ts',
  'packages/runflow-client/src/kinds.ts',
  'packages/check-client/src/vocabulary.ts',
  'packages/check-client/src/kinds.ts',
  'packages/runflow-client/src/webhooks.ts',
  'packages/check-client/src/webhooks.ts',
];

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/**
 * Per file of a mutation-testing report: counts by status and the mutation score, Stryker's
 * definition: detected (killed, timeout) over valid (detected, survived, no coverage); ignored
 * mutants (disable comments) and ones that do not compile or run are not counted.
 */
export function fileScores(report) {
  const out = {};
  for (const [file, { mutants }] of Object.entries(report.files ?? {})) {
    const count = (status) => mutants.filter((m) => m.status === status).length;
    const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
    const undetected = mutants.filter((m) => UNDETECTED.has(m.status)).length;
    const valid = detected + undetected;
    out[file] = {
      score: valid === 0 ? 100 : Math.floor((10_000 * detected) / valid) / 100,
      mutants: mutants.length,
      killed: count('Killed'),
      timeout: count('Timeout'),
      survived: count('Survived'),
      noCoverage: count('NoCoverage'),
      ignored: count('Ignored'),
      errors: count('CompileError') + count('RuntimeError'),
    };
  }
  return out;
}

/** sha256 of every mutated file, to tell whether scores were measured on the files as they are. */
export function sourceHashes(root) {
  const out = {};
  for (const file of MUTATED) {
    out[file] = existsSync(`${root}${file}`)
      ? createHash('sha256')
          .update(readFileSync(`${root}${file}`))
          .digest('hex')
      : null;
  }
  return out;
}

/**
 * Lines for the test summary: each file's mutation score from the last `pnpm mutation` run
 * (reports/mutation/scores.json), when that run measured the files as they are now; no lines
 * otherwise (no run yet, or a rule file changed since).
 */
export function mutationSummaryLines(root) {
  const file = `${root}reports/mutation/scores.json`;
  if (!existsSync(file)) return [];
  let saved;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  const now = sourceHashes(root);
  if (MUTATED.some((f) => saved.sources?.[f] !== now[f])) return [];
  return MUTATED.map((f) => {
    const s = saved.scores?.[f];
    const score = s ? `${s.score.toFixed(2)}%` : 'missing';
    const mark = s && s.score >= saved.threshold ? 'ok' : 'BELOW';
    return `mutation score ${score.padStart(7)} ${mark.padEnd(5)} ${f}`;
  });
}

const TABLE_START = '<!-- mutation-scores:start -->';
const TABLE_END = '<!-- mutation-scores:end -->';

/** A markdown table of every listed file's score, in the order of {@link MUTATED}. */
export function scoresTable(scores) {
  const rows = MUTATED.map((f) => {
    const s = scores[f];
    if (!s) return `| \`${f}\` | missing | | | | |`;
    return `| \`${f}\` | ${s.score.toFixed(2)}% | ${s.killed + s.timeout} | ${s.survived} | ${s.noCoverage} | ${s.ignored} |`;
  });
  return [
    '| file | score | detected | survived | no coverage | marked equivalent |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

/**
 * `text` (TESTING.md) with the table between its score markers replaced by `table`; `text`
 * unchanged when it has no markers.
 */
export function withScoresTable(text, table) {
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) return text;
  return `${text.slice(0, start + TABLE_START.length)}\n${table}\n${text.slice(end)}`;
}
