// The generated client against the mock as a real HTTP server on 127.0.0.1 (no msw in this file).
import { AuthenticationError, waitForJob } from '@batchwatch/core';
import { script } from '@batchwatch/msw';
import { startMockProviderServer } from '@batchwatch/msw/server';
import { describe, expect, it } from 'vitest';
import { openaiBatch } from '../src/openai/batch.kind.js';
import { createOpenaiClient } from '../src/openai/client.gen.js';
import { openaiMock } from '../src/openai/openai.mock.js';

const fast = { minIntervalMs: 1, initialIntervalMs: 1, maxIntervalMs: 5, timeoutMs: 10_000 };

describe('openai batches against the loopback mock server', () => {
  it('should serve /openai on 127.0.0.1 with the key it was given, and refuse another', async () => {
    const server = await startMockProviderServer({ providers: [openaiMock], apiKeys: { openai: 'sk-right' } });
    try {
      expect(server.urls.openai).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/openai$/);
      const id = server.mock.addJob('openai', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.5, 1] }));
      const wrong = createOpenaiClient({ apiKey: 'sk-wrong', baseUrl: server.urls.openai });
      await expect(waitForJob(openaiBatch(wrong), id, fast)).rejects.toBeInstanceOf(AuthenticationError);
      const right = createOpenaiClient({ apiKey: 'sk-right', baseUrl: server.urls.openai });
      const final = await waitForJob(openaiBatch(right), id, fast);
      expect(final).toMatchObject({ status: 'succeeded', rawStatus: 'completed' });
    } finally {
      await server.close();
    }
  });
});
