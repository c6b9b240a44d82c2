// `batchwatch worker --redis URL` and `batchwatch watch --redis URL ...`: the same jobs and keys,
// polled by @batchwatch/bullmq fleet workers on BullMQ and Redis instead of this process alone.
import { createFleet, createFleetWorker, type FleetProviderLimits } from '@batchwatch/bullmq';
import type { JobSource, JobWatch } from '@batchwatch/core';
import type { SourceCatalog } from './custom-sources.js';
import { type JobRef, KEY_ENV, KINDS, type ProviderName, providerNames, sourcesFor, UsageError } from './refs.js';
import type { Output } from './report.js';
import { inert, redactor } from './text.js';
import { EXIT, type WatchSettings, watchJobs } from './watch.js';

/** What `worker --redis` needs besides the keys. */
export interface FleetWorkerSettings {
  /** The Redis URL. */
  redis: string;
  /** API keys per provider: the worker polls every provider that has one. */
  keys: Partial<Record<ProviderName, string>>;
  /** Base URLs per provider. */
  baseUrls: Partial<Record<ProviderName, string>>;
  /** Polls in flight per provider in this worker. */
  concurrency?: number;
  /** `--rps provider=N`: requests per second per provider over every worker. */
  requestsPerSecond: Readonly<Record<string, number>>;
  /** Shortest and longest wait between polls of a job. */
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Notices and errors. */
  stderr: Output;
  /** Job sources of your own (`--sources`): every kind of theirs is polled too. */
  catalog?: SourceCatalog;
}

const redact = (url: string) => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the Redis URL';
  }
};

/** Parses `--rps <provider>=<n>` flags. */
export function parseRates(values: readonly string[], catalog: SourceCatalog = {}): Record<string, number> {
  const out: Record<string, number> = {};
  const known = providerNames(catalog);
  for (const value of values) {
    const eq = value.indexOf('=');
    const provider = value.slice(0, eq);
    const rate = Number(value.slice(eq + 1));
    if (eq < 0 || !known.includes(provider) || !(rate > 0 && Number.isFinite(rate))) {
      throw new UsageError(
        `invalid --rps "${inert(value)}": expected <provider>=<requests per second> with provider ${known.join(', ')}, e.g. check=10`,
      );
    }
    out[provider] = rate;
  }
  return out;
}

function checkRedisUrl(url: string): void {
  if (!/^rediss?:\/\/./.test(url)) {
    throw new UsageError('invalid --redis: expected a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');
  }
}

/**
 * Runs a fleet worker until Ctrl-C or SIGTERM, then drains it (polls in flight are stored) and
 * resolves with exit code 0. Every provider with a key is polled, every kind of it.
 */
export async function runFleetWorker(settings: FleetWorkerSettings): Promise<number> {
  checkRedisUrl(settings.redis);
  const catalog = settings.catalog ?? {};
  const kinds: Record<string, readonly string[]> = {};
  for (const p of Object.keys(KINDS) as ProviderName[]) if (settings.keys[p]) kinds[p] = KINDS[p];
  for (const [p, own] of Object.entries(catalog)) kinds[p] = Object.keys(own);
  const providers = Object.keys(kinds);
  if (providers.length === 0) {
    throw new UsageError(
      `no provider key: set ${Object.values(KEY_ENV).join(', ')} (or pass --<provider>-key) for the providers this worker polls, or give --sources`,
    );
  }
  const refs: JobRef[] = providers.flatMap((provider) =>
    (kinds[provider] ?? []).map((kind) => ({ provider, kind, id: '', text: `${provider}:${kind}` })),
  );
  const sources = sourcesFor(refs, settings, false, catalog);
  const perProvider: Record<string, FleetProviderLimits> = {};
  for (const [provider, rate] of Object.entries(settings.requestsPerSecond)) {
    perProvider[provider] = { requestsPerSecond: rate };
  }
  // Errors are printed with every key this worker holds redacted and control characters shown inert.
  const hideKeys = redactor(Object.values(settings.keys).filter((k): k is string => typeof k === 'string'));
  const worker = createFleetWorker({
    connection: settings.redis,
    sources,
    perProvider,
    ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    ...(settings.minIntervalMs !== undefined
      ? { minIntervalMs: settings.minIntervalMs, initialIntervalMs: settings.minIntervalMs }
      : {}),
    ...(settings.maxIntervalMs !== undefined ? { maxIntervalMs: settings.maxIntervalMs } : {}),
    onError: (error) =>
      settings.stderr.write(`batchwatch worker: ${inert(hideKeys((error as Error)?.message ?? String(error)))}\n`),
  });
  const stopped = new Promise<void>((resolve) => {
    if (settings.signal.aborted) resolve();
    settings.signal.addEventListener('abort', () => resolve(), { once: true });
    process.once('SIGTERM', () => resolve());
  });
  await Promise.race([worker.waitUntilReady(), stopped]);
  settings.stderr.write(
    `batchwatch worker: polling ${providers.join(', ')} jobs through ${redact(settings.redis)} (Ctrl-C or SIGTERM to stop)\n`,
  );
  await stopped;
  settings.stderr.write('batchwatch worker: stopping, letting the polls in flight finish\n');
  await worker.close();
  settings.stderr.write('batchwatch worker: stopped\n');
  return EXIT.ok;
}

/**
 * `watch --redis`: adds each job to the fleet (a no-op when it is there) and follows it until it
 * ends, whichever worker polls it. Keys are not needed here: the workers hold them.
 */
export async function runFleetWatch(
  refs: readonly JobRef[],
  redis: string,
  baseUrls: Partial<Record<ProviderName, string>>,
  settings: WatchSettings,
  catalog: SourceCatalog = {},
): Promise<number> {
  checkRedisUrl(redis);
  // The sources only check ids here; nothing is sent with this placeholder key.
  const keys = Object.fromEntries(Object.keys(KINDS).map((p) => [p, 'unused-by-fleet-watch']));
  const sources = sourcesFor(refs, { keys, baseUrls }, true, catalog);
  const unique = new Map<string, JobSource>();
  for (const source of sources) unique.set(`${source.provider}:${source.kind}`, source);
  const fleet = createFleet({ connection: redis, sources: [...unique.values()] });
  try {
    const result = await watchJobs(refs, sources, {
      ...settings,
      watchWith: (ref, options): JobWatch =>
        fleet.watch(ref.provider, ref.kind, ref.id, {
          signal: options.signal,
          resolveOnUnsuccessful: true,
          onSnapshot: options.onSnapshot,
          ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
          ...(settings.minIntervalMs !== undefined
            ? { minIntervalMs: settings.minIntervalMs, initialIntervalMs: settings.minIntervalMs }
            : {}),
          ...(settings.maxIntervalMs !== undefined ? { maxIntervalMs: settings.maxIntervalMs } : {}),
        }),
    });
    return result.exitCode;
  } finally {
    await fleet.close();
  }
}
