// How `pnpm mutation` counts a file's score and when the test summary repeats the scores
// (scripts/lib/mutation.mjs): on a report and a tree made up in a temp folder.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  fileScores,
  MUTATED,
  mutationSummaryLines,
  scoresTable,
  sourceHashes,
  THRESHOLD,
  withScoresTable,
} from '../lib/mutation.mjs';

const mutants = (counts) =>
  Object.entries(counts).flatMap(([status, n]) => Array.from({ length: n }, () => ({ status })));

describe('fileScores', () => {
  it("should score detected over valid mutants, Stryker's way, leaving out ignored and broken ones", () => {
    const report = {
      files: {
        'a.ts': {
          mutants: mutants({ Killed: 85, Timeout: 5, Survived: 7, NoCoverage: 3, Ignored: 4, CompileError: 2 }),
        },
        'b.ts': { mutants: mutants({ Killed: 2, Survived: 1 }) },
        'c.ts': { mutants: mutants({ Ignored: 3 }) },
      },
    };
    const scores = fileScores(report);
    expect(scores['a.ts']).toEqual({
      score: 90,
      mutants: 106,
      killed: 85,
      timeout: 5,
      survived: 7,
      noCoverage: 3,
      ignored: 4,
      errors: 2,
    });
    // Rounded down, so a file just under the threshold never shows as on it.
    expect(scores['b.ts'].score).toBe(66.66);
    expect(scores['c.ts'].score).toBe(100);
  });

  it('should gate every rule file at 90%', () => {
    expect(THRESHOLD).toBe(90);
    expect(MUTATED).toContain('packages/core/src/next-delay.ts');
    expect(MUTATED).toContain('packages/check-client/src/webhooks.ts');
  });
});

describe('mutationSummaryLines', () => {
  let root;
  beforeEach(() => {
    root = `${mkdtempSync(join(tmpdir(), 'bw-mutation-'))}/`;
    for (const file of MUTATED) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), `// ${file}\n`);
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const save = (scores) => {
    mkdirSync(join(root, 'reports/mutation'), { recursive: true });
    writeFileSync(
      join(root, 'reports/mutation/scores.json'),
      JSON.stringify({ threshold: 90, scores, sources: sourceHashes(root) }),
    );
  };

  it('should print one line per file, saying which are below the threshold', () => {
    save(Object.fromEntries(MUTATED.map((f, i) => [f, { score: i === 0 ? 89.99 : 95 }])));
    const lines = mutationSummaryLines(root);
    expect(lines).toHaveLength(MUTATED.length);
    expect(lines[0]).toBe(`mutation score  89.99% BELOW ${MUTATED[0]}`);
    expect(lines[1]).toBe(`mutation score  95.00% ok    ${MUTATED[1]}`);
  });

  it('should print nothing without a run, or when a rule file changed since', () => {
    expect(mutationSummaryLines(root)).toEqual([]);
    save(Object.fromEntries(MUTATED.map((f) => [f, { score: 100 }])));
    expect(mutationSummaryLines(root)).toHaveLength(MUTATED.length);
    writeFileSync(join(root, MUTATED[3]), '// changed\n');
    expect(mutationSummaryLines(root)).toEqual([]);
  });
});

describe('scoresTable and withScoresTable', () => {
  const score = (n) => ({ score: n, killed: 9, timeout: 1, survived: 1, noCoverage: 0, ignored: 2 });

  it('should give one row per listed file, in list order, and say which file has no result', () => {
    const scores = Object.fromEntries(MUTATED.slice(1).map((f) => [f, score(90.9)]));
    const rows = scoresTable(scores).split('\n');
    expect(rows).toHaveLength(MUTATED.length + 2);
    expect(rows[2]).toBe(`| \`${MUTATED[0]}\` | missing | | | | |`);
    expect(rows[3]).toBe(`| \`${MUTATED[1]}\` | 90.90% | 10 | 1 | 0 | 2 |`);
  });

  it('should replace only what is between the markers, and leave a text without them as it is', () => {
    const text = 'intro\n<!-- mutation-scores:start -->\nold\n<!-- mutation-scores:end -->\nafter\n';
    expect(withScoresTable(text, 'new')).toBe(
      'intro\n<!-- mutation-scores:start -->\nnew\n<!-- mutation-scores:end -->\nafter\n',
    );
    expect(withScoresTable('no markers\n', 'new')).toBe('no markers\n');
  });
});
