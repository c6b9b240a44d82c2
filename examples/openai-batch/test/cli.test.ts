// The batchwatch command watching OpenAI batches through `--sources dist-node/sources.js` (built by
// `pnpm build`): the built CLI in a child process, the generated mock on the loopback server.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type MockProviderServer, startMockProviderServer } from '@batchwatch/msw/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchScript, openaiMock } from '../src/openai/openai.mock.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const BIN = `${here}node_modules/@batchwatch/cli/dist/bin.js`;
const KEY = 'sk-cli-test-key';

function batchwatch(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: here, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: MockProviderServer<'openai'>;
beforeAll(async () => {
  server = await startMockProviderServer({ providers: [openaiMock], seed: 7 });
});
afterAll(() => server.close());

describe('batchwatch watch --sources dist-node/sources.js', () => {
  it('should watch an OpenAI batch to its end, never printing the key', async () => {
    const id = server.mock.addJob('openai', 'batch', {
      ...batchScript('succeeded', { validating: 50, running: 300, finalizing: 50 }),
      total: 10,
    });
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.urls.openai };
    const run = await batchwatch(
      [
        'watch',
        '--sources',
        'dist-node/sources.js',
        `openai:batch:${id}`,
        '--min-interval',
        '20ms',
        '--max-interval',
        '100ms',
      ],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`openai:batch:${id} ended succeeded`);
    expect(run.stdout).not.toContain(KEY);
    expect(server.mock.requests.every((r) => r.operationId === 'GET /batches/{batch_id}')).toBe(true);
  });

  it('should exit 2 naming the module and the missing key, sending nothing', async () => {
    const before = server.mock.requests.length;
    const run = await batchwatch(['watch', '--sources', 'dist-node/sources.js', 'openai:batch:batch_abc123'], {
      OPENAI_BASE_URL: server.urls.openai,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--sources dist-node/sources.js: the module failed to load: invalid apiKey: expected a non-empty string',
    );
    expect(server.mock.requests.length).toBe(before);
  });
});
