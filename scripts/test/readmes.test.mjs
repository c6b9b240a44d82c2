// What the READMEs tell a new user must match what happens (issue 18, points 3, 5 and 7).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readmes = [
  'README.md',
  'CONTRIBUTING.md',
  ...['packages', 'examples'].flatMap((dir) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${dir}/${entry.name}/README.md`),
  ),
].filter((path) => existsSync(join(root, path)));
const text = Object.fromEntries(readmes.map((path) => [path, readFileSync(join(root, path), 'utf8')]));

// The variables the CLI reads, from its source: the one list every README must use.
const refs = readFileSync(join(root, 'packages/cli/src/refs.ts'), 'utf8');
const KEY_ENV = [...refs.matchAll(/^\s+\w+: '([A-Z_]+_API_[A-Z]+)',$/gm)].map((m) => m[1]);

describe('READMEs', () => {
  it('should read the CLI key variables from its source', () => {
    expect(KEY_ENV).toEqual(['SUPERMETRICS_API_KEY', 'RUNFLOW_API_TOKEN', 'CHECK_API_KEY']);
  });

  it.each(readmes)('%s should name provider keys only as the CLI reads them', (path) => {
    const named = [...text[path].matchAll(/\b(SUPERMETRICS|RUNFLOW|CHECK)_API_[A-Z]+\b/g)].map((m) => m[0]);
    for (const name of named) expect(KEY_ENV, `${path} names ${name}`).toContain(name);
  });

  it.each(readmes)('%s should install msw 2 (msw 3 needs Node 22.12)', (path) => {
    for (const line of text[path].split('\n')) {
      if (/\b(pnpm add|npm i|npm install|yarn add)\b.*\bmsw\b/.test(line)) {
        expect(line, `${path}: ${line}`).toMatch(/\smsw@\^2(?![\d.])/);
      }
    }
  });

  it('should show QueryClientProvider in the react quick start and say how the hook maps onto TanStack', () => {
    const react = text['packages/react/README.md'];
    const quickStart = react.slice(
      react.indexOf('## Quick start'),
      react.indexOf('\n## ', react.indexOf('## Quick start') + 1),
    );
    expect(quickStart).toContain('<QueryClientProvider client={queryClient}>');
    expect(quickStart).toMatch(/`status` is the job's status/);
  });

  it('should document the contributor loop (edit spec, generate, build, test)', () => {
    expect(readmes).toContain('CONTRIBUTING.md');
    expect(text['CONTRIBUTING.md']).toMatch(/pnpm generate[\s\S]*pnpm build[\s\S]*pnpm test/);
  });
});
