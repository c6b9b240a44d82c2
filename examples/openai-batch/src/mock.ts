// The OpenAI mock: @batchwatch/msw serves the batch kind from its description (status, counts, create
// and cancel); this body template adds the Batch fields the description does not read, so every body
// looks like OpenAI's (object, endpoint, files, Unix-second timestamps, errors of a failed batch).
import { defineMockProvider, type JobScript, type MockBodyContext } from '@batchwatch/msw';
import { openaiBatchKind } from './openai/batch.kind.js';
import { OPENAI_BASE_URL, openaiBatchOperations } from './openai/client.gen.js';

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

/** OpenAI as the mock serves it: at `OPENAI_BASE_URL` for msw, at `/openai` on the local mock server. */
export const openaiMock = defineMockProvider({
  name: 'openai',
  baseUrl: OPENAI_BASE_URL,
  kinds: [{ kind: openaiBatchKind, operations: openaiBatchOperations, body: batchBody, defaultTotal: 100 }],
});

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
