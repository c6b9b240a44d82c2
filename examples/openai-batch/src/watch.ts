// Node: create a batch and wait for it with `waitForJob`, printing each change. `pnpm watch-batch`
// runs it against the local mock (nothing reaches api.openai.com); with a real key, give the client
// `createOpenaiClient({ apiKey: process.env.OPENAI_API_KEY })` instead.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type JobSnapshot, waitForJob } from '@batchwatch/core';
import { startMockProviderServer } from '@batchwatch/msw/server';
import { openaiBatch } from './openai/batch.kind.js';
import { createOpenaiClient, type OpenaiBatch, type OpenaiClient } from './openai/client.gen.js';
import { batchScript, openaiMock } from './openai/openai.mock.js';

/** Options for {@link createAndWatch}. */
export interface CreateAndWatchOptions {
  /** The input file of requests (uploaded with purpose `batch`). Defaults to `file-abc123`. */
  inputFileId?: string;
  /** Called with every changed snapshot. */
  onSnapshot?: (snapshot: JobSnapshot<OpenaiBatch>) => void;
  /** Aborts the watch. */
  signal?: AbortSignal;
  /** Polling bounds (core's defaults: 1 s to 30 s). */
  minIntervalMs?: number;
  maxIntervalMs?: number;
}

/**
 * Creates a batch (`POST /batches`) and waits for its end with `waitForJob`: the final snapshot,
 * whatever the end (`resolveOnUnsuccessful`), so the caller reads `status` and `failure`.
 */
export async function createAndWatch(
  client: OpenaiClient,
  options: CreateAndWatchOptions = {},
): Promise<JobSnapshot<OpenaiBatch>> {
  const { data, error } = await client.POST('/batches', {
    body: {
      input_file_id: options.inputFileId ?? 'file-abc123',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    },
  });
  if (!data) throw new Error(`POST /batches failed: ${JSON.stringify(error)}`);
  return waitForJob(openaiBatch(client), data.id, {
    resolveOnUnsuccessful: true,
    ...(options.onSnapshot ? { onSnapshot: options.onSnapshot } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.minIntervalMs === undefined ? {} : { minIntervalMs: options.minIntervalMs }),
    ...(options.maxIntervalMs === undefined ? {} : { maxIntervalMs: options.maxIntervalMs }),
  });
}

/** One line per snapshot: `in_progress (running) 40/100`. */
export function describeSnapshot(s: JobSnapshot<OpenaiBatch>): string {
  const { completed, failed, total } = s.progress;
  const counts = `${completed}/${total ?? '?'}${failed > 0 ? ` (${failed} failed)` : ''}`;
  return `${s.rawStatus} (${s.status}) ${counts}${s.failure ? `: ${s.failure.message}` : ''}`;
}

async function main(): Promise<void> {
  const apiKey = `sk-mock-${randomBytes(12).toString('hex')}`;
  const mock = await startMockProviderServer({ providers: [openaiMock], apiKeys: { openai: apiKey }, speed: 4 });
  try {
    mock.mock.nextScript('openai', batchScript('succeeded', {}, { total: 40 }));
    const client = createOpenaiClient({ apiKey, baseUrl: mock.urls.openai });
    console.log(`mock OpenAI on ${mock.urls.openai}`);
    const final = await createAndWatch(client, {
      onSnapshot: (s) => console.log(describeSnapshot(s)),
      minIntervalMs: 250,
    });
    console.log(`done: ${final.status}`);
  } finally {
    await mock.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
