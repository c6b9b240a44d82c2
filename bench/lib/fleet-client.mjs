// The measured side of the fleet benchmark, in its own process: a @batchwatch/bullmq fleet worker
// (`worker`), or the in-process `createJobScheduler` on the same jobs (`scheduler`), polling the mock
// server (another process). Each counts its polls and reports its own CPU time.

import { createFleetWorker } from '@batchwatch/bullmq';
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { createJobScheduler } from '@batchwatch/core/scheduler';
import { cpuMs, serveParent, sleep } from './common.mjs';

let polls = 0;
let worker;

function countedSource(urls) {
  const source = checkBatch(createCheckClient({ apiKey: 'bench', baseUrl: urls.check }));
  return {
    provider: source.provider,
    kind: source.kind,
    validateId: source.validateId,
    fetchSnapshot(id, context) {
      polls++;
      return source.fetchSnapshot(id, context);
    },
  };
}

serveParent({
  /** Starts a fleet worker; polling starts at once. */
  async worker({ redisUrl, urls, budget, concurrency, poll }) {
    worker = createFleetWorker({
      connection: redisUrl,
      sources: [countedSource(urls)],
      concurrency,
      perProvider: { check: { requestsPerSecond: budget } },
      ...poll,
      onError: (error) => process.stderr.write(`fleet worker: ${error?.message ?? error}\n`),
    });
    await worker.waitUntilReady();
    return { pid: process.pid };
  },

  /** Polls and CPU since the start of this process (the caller takes differences). */
  stats() {
    return { polls, cpuMs: cpuMs() };
  },

  async closeWorker() {
    await worker?.close();
    return { polls, cpuMs: cpuMs() };
  },

  /**
   * The in-process baseline: one scheduler with the same budget watches `ids` for `windowMs`;
   * CPU is counted from the first poll on, after the watches were opened.
   */
  async scheduler({ urls, ids, budget, windowMs, poll }) {
    const scheduler = createJobScheduler({
      maxConcurrent: 64,
      perProvider: { check: { requestsPerSecond: budget } },
      ...poll,
    });
    const source = countedSource(urls);
    const watches = ids.map((id) => scheduler.watch(source, id));
    for (const w of watches) w.done.catch(() => {});
    await sleep(500);
    const p0 = polls;
    const c0 = cpuMs();
    await sleep(windowMs);
    const result = { polls: polls - p0, cpuMs: cpuMs() - c0 };
    await scheduler.close();
    return result;
  },
});
