// Benchmark 2: per-poll CPU overhead. The same job (it stays `running`, so every poll reads and
// parses a full body) is polled N times by (a) a raw `fetch` + `JSON.parse` loop, (b) the Check
// client's job source (openapi-fetch + normalization), and (c) `watchJob`. Only this process's CPU
// is counted (`process.cpuUsage()`); the mock server runs in a child process. The variants run in
// rotating order, round after round, and the reported ratio is the median of the per-round ratios.
import { checkBatch, createCheckClient } from '@batchwatch/check-client';
import { watchJob } from '@batchwatch/core';
import { cpuMs, emit, log, median, parseArgs, round, startChild } from './lib/common.mjs';

const args = parseArgs();
const quick = args.quick;
// Short chunks, many rounds: each round measures every layer within a second or so, so a burst of
// load from elsewhere on the machine hits one round, and the median over rounds ignores it.
const polls = Number(args.polls ?? (quick ? 50 : 100));
const rounds = Number(args.rounds ?? (quick ? 8 : 30));
const API_KEY = 'vfy_bench_overhead';

// Every variant waits on a 1 ms timer between polls, as watchJob does at its smallest interval.
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

async function main() {
  const server = await startChild(new URL('./lib/server-child.mjs', import.meta.url));
  try {
    const { urls } = await server.request('start', { name: 'overhead', options: { seed: 2, maxRequests: 10 } });
    const [{ id }] = await server.request('addJob', {
      names: ['overhead'],
      provider: 'check',
      kind: 'batch',
      script: { phases: [{ state: 'running', ms: 1e12, progress: 0.5 }], total: 50 },
    });
    const url = `${urls.check}/v1/batch/${id}`;
    const client = createCheckClient({ apiKey: API_KEY, baseUrl: urls.check });
    const source = checkBatch(client);
    const context = { signal: new AbortController().signal, now: Date.now };

    const variants = {
      async raw(n) {
        for (let i = 0; i < n; i++) {
          const response = await fetch(url, { headers: { Authorization: `Bearer ${API_KEY}` } });
          const body = JSON.parse(await response.text());
          if (body.status !== 'processing') throw new Error(`unexpected status ${body.status}`);
          await tick();
        }
      },
      // Where the rest goes: a `Request` object per poll (what openapi-fetch hands to fetch) ...
      async request(n) {
        for (let i = 0; i < n; i++) {
          const response = await fetch(new Request(url, { headers: { Authorization: `Bearer ${API_KEY}` } }));
          const body = await response.json();
          if (body.status !== 'processing') throw new Error(`unexpected status ${body.status}`);
          await tick();
        }
      },
      // ... then the typed openapi-fetch client with its parameter guard, without normalization ...
      async openapiFetch(n) {
        for (let i = 0; i < n; i++) {
          const { data } = await client.GET('/v1/batch/{id}', { params: { path: { id } } });
          if (data?.status !== 'processing') throw new Error(`unexpected status ${data?.status}`);
          await tick();
        }
      },
      // ... then the job source (errors, hints, normalized snapshot) ...
      async source(n) {
        for (let i = 0; i < n; i++) {
          const { snapshot } = await source.fetchSnapshot(id, context);
          if (snapshot.status !== 'running') throw new Error(`unexpected status ${snapshot.status}`);
          await tick();
        }
      },
      // ... and `watchJob` on top (schedule, change detection, events).
      async watchJob(n) {
        let count = 0;
        const watch = watchJob(source, id, {
          minIntervalMs: 1,
          initialIntervalMs: 1,
          maxIntervalMs: 1,
          maxConsecutiveErrors: 0,
          onPoll: (event) => {
            if (event.error) throw event.error;
            if (++count === n) watch.stop();
          },
        });
        await watch.done.catch((error) => {
          if (error?.name !== 'AbortError') throw error;
        });
        if (count !== n) throw new Error(`watchJob polled ${count} times, not ${n}`);
      },
    };
    const names = Object.keys(variants);

    // Warm-up: JIT, sockets, the first requests.
    for (const name of names) await variants[name](Math.min(100, polls));

    const perPoll = Object.fromEntries(names.map((n) => [n, []]));
    const watchRatios = [];
    for (let r = 0; r < rounds; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length]);
      const cpu = {};
      for (const name of order) {
        const before = process.cpuUsage();
        await variants[name](polls);
        cpu[name] = cpuMs(before) / polls;
        perPoll[name].push(cpu[name]);
      }
      watchRatios.push(cpu.watchJob / cpu.raw);
      if (r % 5 === 4 || r === rounds - 1) {
        log(
          `overhead round ${r + 1}/${rounds}: ${names.map((n) => `${n} ${cpu[n].toFixed(3)}`).join(', ')} ms CPU/poll`,
        );
      }
    }
    const ratio = median(watchRatios);
    emit(args, {
      benchmark: 'overhead',
      quick,
      polls,
      rounds,
      cpuPerPollMs: Object.fromEntries(names.map((n) => [n, round(median(perPoll[n]), 4)])),
      cpuPerPollMsByRound: Object.fromEntries(names.map((n) => [n, perPoll[n].map((v) => round(v, 4))])),
      watchJobVsRaw: round(ratio, 3),
      watchJobVsRawByRound: watchRatios.map((v) => round(v, 3)),
      // Each layer against raw, median of the per-round ratios.
      vsRaw: Object.fromEntries(names.map((n) => [n, round(median(perPoll[n].map((v, i) => v / perPoll.raw[i])), 3)])),
      watchJobVsSource: round(median(perPoll.watchJob.map((w, i) => w / perPoll.source[i])), 3),
      goals: { ratioAtMost110: ratio <= 1.1 },
    });
  } finally {
    await server.stop();
  }
}

await main();
