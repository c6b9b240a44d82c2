import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { specsDir } from './spec-validator.js';

const root = resolve(specsDir, '..');
const script = join(root, 'scripts/generate.mjs');
const work = mkdtempSync(join(tmpdir(), 'bw-generate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]): { code: number; output: string } {
  try {
    const output = execFileSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, output };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, output: `${err.stdout}${err.stderr}` };
  }
}

describe('pnpm generate --check', () => {
  it('should pass on the committed specs and generated files', () => {
    const { code, output } = run(['--check']);
    expect(output).not.toContain('out of date');
    expect(code).toBe(0);
  }, 30_000);

  it('should fail with a fix hint when a spec enum changes without regenerating', () => {
    cpSync(join(specsDir, 'check'), join(work, 'check'), { recursive: true });
    cpSync(join(root, 'packages/check-client/src/generated'), join(work, 'out'), { recursive: true });
    const config = `apis:\n  check:\n    root: ./check/openapi.yaml\n    x-openapi-ts:\n      output: ./out/schema.gen.ts\n`;
    writeFileSync(join(work, 'redocly.yaml'), config);
    // The header names the spec's path, so generate once in the copy before checking it.
    expect(run([`--config=${join(work, 'redocly.yaml')}`]).code).toBe(0);
    expect(run(['--check', `--config=${join(work, 'redocly.yaml')}`]).code).toBe(0);

    const specPath = join(work, 'check/openapi.yaml');
    const spec = readFileSync(specPath, 'utf8');
    expect(spec).toContain('validating');
    writeFileSync(specPath, spec.replace(/\bvalidating\b/g, 'verifying'));
    const { code, output } = run(['--check', `--config=${join(work, 'redocly.yaml')}`]);
    expect(code).toBe(1);
    expect(output).toContain('out/schema.gen.ts is out of date');
    expect(output).toContain('run `pnpm generate`');

    run([`--config=${join(work, 'redocly.yaml')}`]);
    expect(readFileSync(join(work, 'out/schema.gen.ts'), 'utf8')).toContain('"verifying"');
    expect(run(['--check', `--config=${join(work, 'redocly.yaml')}`]).code).toBe(0);
  }, 60_000);
});
