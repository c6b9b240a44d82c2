import { createCheckClient } from '@batchwatch/check-client';
import { unwrapApiResult } from '@batchwatch/core/client-kit';
import { type JobScript, type MockProviderServer, startMockProviderServer } from '@batchwatch/msw/server';
import { createRunflowClient, parseRunflowError } from '@batchwatch/runflow-client';
import {
  createSupermetricsClient,
  parseSupermetricsError,
  startSupermetricsQuery,
} from '@batchwatch/supermetrics-client';
import { type JobRef, type ProviderName, parseJobRef, sourcesFor } from './refs.js';
import type { Output } from './report.js';
import { EXIT, type WatchSettings, watchJobs } from './watch.js';

/** Demo keys: the mock server checks them like the real providers would (a wrong one gets a 401). */
const DEMO_KEYS: Record<ProviderName, string> = {
  supermetrics: 'demo_supermetrics_key',
  runflow: 'demo_runflow_token',
  check: 'vfy_demo_key',
};

// Scripted time in ms (the server runs it `speed` times faster than real time).
const timed = (
  queuedMs: number,
  runningMs: number,
  end: JobScript['end'],
  extra: Partial<JobScript> = {},
): JobScript => ({
  phases: [
    { state: 'queued', ms: queuedMs },
    { state: 'running', ms: runningMs, progress: [0, 1] },
  ],
  end,
  ...extra,
});

/** What the demo creates: about eight jobs across the three providers, each with a scripted end. */
export const DEMO_JOBS = [
  {
    provider: 'supermetrics',
    kind: 'query',
    label: 'query, total grows',
    script: timed(4_000, 40_000, 'succeeded', { totalGrowth: [4, 8, 12] }),
  },
  {
    provider: 'supermetrics',
    kind: 'batch',
    label: 'batch, some queries fail',
    script: timed(6_000, 60_000, 'partially_succeeded', { total: 12, failureRate: 0.25 }),
  },
  { provider: 'runflow', kind: 'batch', label: 'batch', script: timed(3_000, 50_000, 'succeeded', { total: 40 }) },
  {
    provider: 'runflow',
    kind: 'batch',
    label: '429 burst with Retry-After',
    script: timed(3_000, 45_000, 'succeeded', {
      total: 25,
      faults: [{ kind: 'rate-limit', retryAfter: 2, window: [12_000, 20_000] }],
    }),
  },
  {
    provider: 'runflow',
    kind: 'batch',
    label: 'batch that fails',
    script: timed(2_000, 30_000, 'failed', { total: 30 }),
  },
  { provider: 'check', kind: 'batch', label: 'batch', script: timed(2_000, 55_000, 'succeeded', { total: 50 }) },
  {
    provider: 'check',
    kind: 'batch',
    label: 'completed with failures',
    script: timed(2_000, 48_000, 'partially_succeeded', { total: 50, failureRate: 0.1 }),
  },
  // The demo cancels this one itself (POST /v1/batch/{id}/cancel) once it passes 40%.
  {
    provider: 'check',
    kind: 'batch',
    label: 'cancelled by the demo',
    script: timed(2_000, 120_000, 'succeeded', { total: 100 }),
    cancelAt: 0.4,
  },
] as const satisfies ReadonlyArray<{
  provider: ProviderName;
  kind: string;
  label: string;
  script: JobScript;
  cancelAt?: number;
}>;

/** How each demo job is meant to end. */
const expectedEnd = (job: (typeof DEMO_JOBS)[number]) => ('cancelAt' in job ? 'cancelled' : job.script.end);

/** Creates the demo jobs through each provider's real create endpoint, as an app would. */
async function createJobs(server: MockProviderServer, signal: AbortSignal): Promise<JobRef[]> {
  const sm = createSupermetricsClient({ apiKey: DEMO_KEYS.supermetrics, baseUrl: server.urls.supermetrics });
  const rf = createRunflowClient({ apiKey: DEMO_KEYS.runflow, baseUrl: server.urls.runflow });
  const ck = createCheckClient({ apiKey: DEMO_KEYS.check, baseUrl: server.urls.check });
  const context = { signal, now: Date.now };
  const refs: JobRef[] = [];
  for (const job of DEMO_JOBS) {
    server.mock.nextScript(job.provider, job.script);
    let id: string | undefined;
    if (job.provider === 'supermetrics' && job.kind === 'query') {
      ({ scheduleId: id } = await startSupermetricsQuery(
        sm,
        { ds_id: 'GAWA', start_date: '2026-11-01', end_date: '2026-11-27', fields: 'date,sessions' },
        { signal },
      ));
    } else if (job.provider === 'supermetrics') {
      const { data } = await unwrapApiResult(
        'supermetrics',
        () =>
          sm.POST('/query/batch', { body: { queries: Array.from({ length: 12 }, (_, i) => `query-${i}`) }, signal }),
        parseSupermetricsError,
        context,
      );
      id = data.data?.batch_id;
    } else if (job.provider === 'runflow') {
      const { data } = await unwrapApiResult(
        'runflow',
        () =>
          rf.POST('/v1/models/{owner}/{slug}/batches', {
            params: { path: { owner: 'demo', slug: 'upscale' } },
            body: { input: [{ image: 'a.png' }] },
            signal,
          }),
        parseRunflowError,
        context,
      );
      id = data.id;
    } else {
      const { data } = await ck.POST('/v1/batch', {
        body: { name: job.label, items: [{ content: 'The Eiffel Tower is in Berlin.' }] },
        signal,
      });
      id = data?.id;
    }
    if (!id) throw new Error(`the mock ${job.provider} server returned no id`);
    refs.push(parseJobRef(`${job.provider}:${job.kind}:${id}`));
  }
  return refs;
}

/** `batchwatch demo`: starts the mock provider server, creates the demo jobs and watches them all to the end. */
export async function runDemo(
  settings: Omit<WatchSettings, 'minIntervalMs' | 'maxIntervalMs'> & {
    speed: number;
    stderr: Output;
    minIntervalMs?: number;
    maxIntervalMs?: number;
  },
): Promise<number> {
  const server = await startMockProviderServer({ seed: 2026, speed: settings.speed, apiKeys: DEMO_KEYS });
  try {
    if (!settings.json) {
      settings.stderr.write(
        `Mock providers on ${server.url} (no account needed).\nWatching ${DEMO_JOBS.length} jobs at ${settings.speed}x speed; Ctrl-C to stop.\n`,
      );
    }
    const refs = await createJobs(server, settings.signal);
    const sources = sourcesFor(refs, {
      keys: DEMO_KEYS,
      baseUrls: { supermetrics: server.urls.supermetrics, runflow: server.urls.runflow, check: server.urls.check },
    });
    const cancelAt = new Map(refs.map((ref, i) => [ref.text, (DEMO_JOBS[i] as { cancelAt?: number }).cancelAt]));
    const { exitCode, rows } = await watchJobs(refs, sources, {
      minIntervalMs: 500,
      ...settings,
      maxIntervalMs: settings.maxIntervalMs ?? Math.max(3_000, settings.minIntervalMs ?? 0),
      cancelWhen: (ref, snapshot) => (snapshot.progress.fraction ?? 0) >= (cancelAt.get(ref.text) ?? 2),
    });
    if (exitCode !== EXIT.jobFailed) return exitCode;
    // The demo shows failures on purpose: it succeeded when every job reached its scripted end.
    const unexpected = rows.filter((row, i) => row.outcome !== expectedEnd(DEMO_JOBS[i] as (typeof DEMO_JOBS)[number]));
    for (const row of unexpected) settings.stderr.write(`demo: ${row.ref} ended ${row.outcome}, not as scripted\n`);
    return unexpected.length === 0 ? EXIT.ok : EXIT.jobFailed;
  } finally {
    await server.close();
  }
}
