// `--sources <module>`: a provider of the user's own, watched, read and refused like the built-in ones.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MockProviderServer, script, startMockProviderServer } from '@batchwatch/msw/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acmeMock as acme, ACME_SOURCES as MODULE } from './acme.js';
import { cli } from './helpers.js';

const KEY = 'acme_secret_key_123';

let server: MockProviderServer<'acme'>;
let env: Record<string, string>;
beforeEach(async () => {
  server = await startMockProviderServer({ providers: [acme], seed: 3 });
  env = { ACME_BASE_URL: server.urls.acme, ACME_KEY: KEY };
});
afterEach(async () => {
  await server.close();
});

const fast = ['--min-interval', '20ms', '--max-interval', '100ms'];

describe('batchwatch --sources', () => {
  it("should watch a job of the module's provider to its end", async () => {
    const id = server.mock.addJob('acme', 'export', {
      ...script.lifecycle({ queuedPolls: 1, progress: [0.5, 1] }),
      total: 8,
    });
    const run = await cli(['watch', '--sources', MODULE, `acme:export:${id}`, ...fast], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`acme:export:${id} ended succeeded`);
    expect(run.stdout).toContain('1 job: 1 succeeded');
    expect(server.mock.requests.every((r) => r.provider === 'acme')).toBe(true);
  });

  it("should stream a finished job's items with results", async () => {
    const id = server.mock.addJob('acme', 'export', { phases: [], end: 'succeeded', total: 6 });
    const run = await cli(['results', '--sources', MODULE, `acme:export:${id}`], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const items = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(items.map((item) => [item.index, item.status])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, 'succeeded']));
  });

  it("should check ids with the kind's rules and list its providers for an unknown one, sending nothing", async () => {
    const bad = await cli(['watch', '--sources', MODULE, 'acme:export:not-an-export'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid id in "acme:export:not-an-export"');
    const unknown = await cli(['watch', '--sources', MODULE, 'acne:export:exp_1'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'unknown provider "acne" in "acne:export:exp_1": expected one of acme, supermetrics',
    );
    const kind = await cli(['watch', '--sources', MODULE, 'acme:import:exp_1'], env);
    expect(kind.stderr).toContain('unknown kind "import" for acme in "acme:import:exp_1": expected one of export');
    expect(server.mock.requests).toEqual([]);
  });

  it("should point --base-url for the module's provider at the module", async () => {
    const run = await cli(
      ['watch', '--sources', MODULE, '--base-url', 'acme=http://127.0.0.1:9/x', 'acme:export:exp_1'],
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'invalid --base-url "acme=http://127.0.0.1:9/x": acme comes from --sources, whose module makes its client: set the base URL there',
    );
    expect(server.mock.requests).toEqual([]);
  });

  it('should need --sources for a provider of your own', async () => {
    const run = await cli(['watch', 'acme:export:exp_1'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown provider "acme"');
  });
});

describe('batchwatch --sources: a bad module is named, nothing sent', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchwatch-sources-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it.each([
    ['no export', 'export const other = 1;\n', 'expected a default export (or an export named sources)'],
    ['an empty catalog', 'export default {};\n', 'expected a default export (or an export named sources)'],
    ['a provider name', 'export default { OpenAI: { batch: {} } };\n', 'provider "OpenAI": expected a lower-case name'],
    ['kinds not an object', 'export default { acme: [] };\n', 'acme: expected { <kind>: JobSource }'],
    ['a kind name', "export default { acme: { 'ex port': {} } };\n", 'acme kind "ex port": expected a lower-case name'],
    [
      'a source without fetchSnapshot',
      'export default { acme: { export: {} } };\n',
      'acme.export: expected a JobSource',
    ],
    [
      'a module that throws',
      "throw new Error('ACME_KEY is not set\\u001b]0;pwned\\u0007');\n",
      'the module failed to load: ACME_KEY is not set\\x1b]0;pwned\\x07',
    ],
  ])('should refuse %s (exit 2)', async (name, text, message) => {
    const file = write(`${name.replaceAll(' ', '-')}.mjs`, text);
    const run = await cli(['watch', '--sources', file, 'acme:export:exp_1'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--sources ${file}: ${message}`);
    expect(run.stderr).not.toContain('\u001b');
    expect(server.mock.requests).toEqual([]);
  });

  it('should name a file that is not there', async () => {
    const run = await cli(['results', '--sources', './no-such-sources.mjs', 'acme:export:exp_1'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--sources ./no-such-sources.mjs: no such file');
  });
});
