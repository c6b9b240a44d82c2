// The openai mock for your tests: @batchwatch/msw serves the job kinds from their descriptions
// (statuses, counts, create, cancel, scripted lifecycles and faults). Written once by `batchwatch generate
// --mock`; it is yours now. Import it from tests only: it needs @batchwatch/msw (npm i -D @batchwatch/msw msw@^2).
//
// This example added `body: batchBody` (the Batch fields the description does not read, so every body
// looks like OpenAI's), a default size, and `batchScript` for the lifecycles its tests and page play.
import { defineMockProvider, type JobScript, type MockBodyContext } from '@batchwatch/msw';
import { openaiBatchKind } from './batch.kind.js';
import { OPENAI, OPENAI_BASE_URL, openaiBatchOperations } from './client.gen.js';

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : Math.floor(ms / 1000));
const text = (value: unknown, fallback: string) => (typeof value === 'string' && value !== '' ? value : fallback);

/** The Batch fields beside the id, status and `request_counts` (which the mock sets from the description). */
export function batchBody(job: MockBodyContext): Record<string, unknown> {
  const { request, rawStatus } = job;
  const ended = job.finishedAt !== undefined;
  const succeeded = job.done - job.failed;
  const suffix = job.id.slice(-12);
  const at = (status: string) => (rawStatus === status ? seconds(job.finishedAt) : undefined);
  return {
    object: 'batch',
    endpoint: text(request.endpoint, '/v1/chat/completions'),
    input_file_id: text(request.input_file_id, `file-in${suffix}`),
    completion_window: text(request.completion_window, '24h'),
    ...(ended && succeeded > 0 ? { output_file_id: `file-out${suffix}` } : {}),
    ...(ended && job.failed > 0 && rawStatus !== 'failed' ? { error_file_id: `file-err${suffix}` } : {}),
    ...(rawStatus === 'failed'
      ? {
          errors: {
            object: 'list',
            data: [
              {
                code: 'invalid_json_line',
                message: 'Line 1 of the input file is not valid JSON.',
                param: null,
                line: 1,
              },
            ],
          },
        }
      : {}),
    created_at: seconds(job.createdAt),
    in_progress_at: seconds(job.startedAt),
    expires_at: (seconds(job.createdAt) ?? 0) + 86_400,
    completed_at: at('completed'),
    failed_at: at('failed'),
    expired_at: at('expired'),
    cancelled_at: at('cancelled'),
    metadata: request.metadata ?? null,
  };
}

/**
 * A batch's life on the clock (scripted milliseconds): `validating`, then `in_progress` with the
 * counts rising, then `finalizing` (every request done, files being written), then `end`.
 */
export function batchScript(
  end: NonNullable<JobScript['end']>,
  ms: { validating?: number; running?: number; finalizing?: number } = {},
  extra: Partial<JobScript> = {},
): JobScript {
  const { validating = 1_000, running = 4_000, finalizing = 1_000 } = ms;
  return {
    phases: [
      { state: 'queued', ms: validating },
      { state: 'running', ms: running, progress: [0, 1] },
      { state: 'running', raw: 'finalizing', ms: finalizing, progress: 1 },
    ],
    end,
    ...extra,
  };
}

/**
 * openai as the mock serves it: `createMockProviders({ providers: [openaiMock] })`, then
 * `mockProviderHandlers(mock, openaiMock)` for msw, or `startMockProviderServer({ providers: [openaiMock] })`.
 */
export const openaiMock = defineMockProvider({
  name: OPENAI,
  baseUrl: OPENAI_BASE_URL,
  kinds: [
    {
      kind: openaiBatchKind,
      operations: openaiBatchOperations,
      body: batchBody,
      defaultTotal: 100,
    },
  ],
});
