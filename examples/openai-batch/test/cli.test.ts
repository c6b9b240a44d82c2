// The batchwatch command watching OpenAI batches through `--sources dist-node/sources.js` (built by
// `pnpm build`): the built CLI in a child process, the generated mock on the loopback server.
import { fileURLToPath } from 'node:url';
import { type MockProviderServer, startMockProviderServer } from '@batchwatch/msw/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../../packages/cli/test/helpers.js';
import { batchScript, openaiMock } from '../src/openai/openai.mock.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const KEY = 'sk-cli-test-key';
// The CLI's own end-to-end helper: the built binary with only PATH and these variables, run from here.
const batchwatch = (args: string[], env: Record<string, string>) => cli(args, env, undefined, here);

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
