// `batchwatch generate`, spawned as the built binary: it writes a client from a spec, --check reports
// drift, and bad input is named (exit 2) with nothing written.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('../../codegen/test/fixtures/acme.yaml', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-generate-'));
  dirs.push(dir);
  copyFileSync(FIXTURE, join(dir, 'acme.yaml'));
  return dir;
}
const JOB = ['--job', 'GET /v2/exports/{export_id}'];

describe('batchwatch generate', () => {
  it('should write the client and a job kind, then pass --check until the spec changes', async () => {
    const dir = workspace();
    const out = join(dir, 'src/acme');
    const first = await cli(['generate', '--spec', join(dir, 'acme.yaml'), '--out', out, ...JOB]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'batchwatch.gen.json',
      'client.gen.ts',
      'export.kind.ts',
      'params.gen.ts',
      'schema.gen.ts',
    ]);
    expect(first.stdout).toMatch(/^wrote .*schema\.gen\.ts$/m);
    expect(first.stdout).toMatch(
      /export\.kind\.ts: map expired, paused \(each TODO fails typecheck until you choose\)/,
    );
    expect(first.stdout).toContain('npm i @batchwatch/core openapi-fetch');

    const check = ['generate', '--spec', join(dir, 'acme.yaml'), '--out', out, ...JOB, '--check'];
    const clean = await cli(check);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^✓ .*client\.gen\.ts$/m);

    const spec = join(dir, 'acme.yaml');
    writeFileSync(
      spec,
      readFileSync(spec, 'utf8').replace('enum: [pending, running,', 'enum: [pending, queued_again, running,'),
    );
    const before = readFileSync(join(out, 'client.gen.ts'), 'utf8');
    const stale = await cli(check);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^✗ .*client\.gen\.ts is out of date with the spec$/m);
    expect(stale.stderr).toContain('run the same command without --check');
    expect(readFileSync(join(out, 'client.gen.ts'), 'utf8')).toBe(before);

    // Run again: the generated files follow the spec, the job kind (now the user's) is kept.
    const again = await cli(['generate', '--spec', spec, '--out', out, ...JOB]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^kept .*export\.kind\.ts \(yours: never overwritten\)$/m);
    expect(readFileSync(join(out, 'client.gen.ts'), 'utf8')).toContain("'queued_again'");
  });

  it('should name bad input, exit 2 and write nothing', async () => {
    const dir = workspace();
    const out = join(dir, 'out');
    const runs = await Promise.all([
      cli(['generate', '--out', out]),
      cli(['generate', '--spec', join(dir, 'acme.yaml'), '--out', out, '--job', 'GET /reports/{report_id}']),
      cli(['generate', '--spec', join(dir, 'acme.yaml'), '--out', out, '--job', 'GET /v2/nope/{id}\u001b[31m']),
      cli(['generate', '--spec', join(dir, 'acme.yaml'), '--out', out, '--bogus']),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^batchwatch generate: /);
      expect(run.stderr).not.toContain('\u001b');
    }
    expect(runs[0]?.stderr).toContain('--spec is missing');
    expect(runs[1]?.stderr).toContain('found no status-like field');
    expect(runs[1]?.stderr).toContain('--status-field');
    expect(runs[2]?.stderr).toContain('the spec has no operation');
    expect(runs[3]?.stderr).toContain("Unknown option '--bogus'");
    expect(existsSync(out)).toBe(false);

    mkdirSync(out);
    writeFileSync(join(out, 'notes.md'), 'mine\n');
    const foreign = await cli(['generate', '--spec', join(dir, 'acme.yaml'), '--out', out, ...JOB]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('holds files batchwatch generate did not write: notes.md');
    expect(readdirSync(out)).toEqual(['notes.md']);
  });

  it('should print its help, every line within 80 columns', async () => {
    const run = await cli(['generate', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--job '<METHOD> <path>'");
    const main = await cli(['--help']);
    expect(main.stdout).toContain('batchwatch generate --spec <openapi.yaml> --out <folder>');
    expect(main.stdout).toContain('--sources <module.js>');
    for (const line of [...run.stdout.split('\n'), ...main.stdout.split('\n')]) {
      expect(line.length, line).toBeLessThanOrEqual(80);
    }
  });
});
