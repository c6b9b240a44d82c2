// Benchmark 4: React. One page with 100 job rows, rendered with react-dom under happy-dom, real
// timers, data from the in-process mock (the real Check client, its fetch answered by
// `mock.handle`). Every job stays `running` with the same body, so no poll brings new data. Three
// pages in turn: 100 `useBatch` hooks, and 100 plain `useQuery({ refetchInterval: 1000 })` rows
// (one reading only `data`, one also reading `isFetching` for a spinner, as many apps do).
// Counted after every row has its first data: requests, component renders, React commits, CPU.
import { Window } from 'happy-dom';
import { cpuMs, emit, log, parseArgs, ratio, round, sleep } from './lib/common.mjs';

const args = parseArgs();
const quick = args.quick;
const speed = Number(args.speed ?? 4);
const rows = Number(args.rows ?? 100);
const windowMs = Number(args.windowMs ?? (quick ? 12_000 : 60_000)); // scripted
const scaled = (ms) => ms / speed;

// A DOM for react-dom; Node's own fetch, Request and Response stay in place.
const window = new Window({ url: 'http://localhost/' });
globalThis.window = window;
globalThis.document = window.document;
globalThis.navigator ??= window.navigator;
for (const name of ['HTMLElement', 'HTMLIFrameElement', 'Element', 'Node', 'Text', 'Event', 'MutationObserver']) {
  globalThis[name] ??= window[name];
}

const React = await import('react');
const { createRoot } = await import('react-dom/client');
const { QueryClient, QueryClientProvider, useQuery } = await import('@tanstack/react-query');
const { useBatch } = await import('@batchwatch/react');
const { createCheckClient, checkBatch } = await import('@batchwatch/check-client');
const { createMockProviders, PRODUCTION_BASES } = await import('@batchwatch/msw');
const h = React.createElement;

const RUNNING_UNCHANGED = { phases: [{ state: 'running', ms: 1e12, progress: 0.5 }], total: 50 };
// batchwatch's schedule at the same compression as TanStack's interval below.
const OURS = {
  minIntervalMs: scaled(1000),
  initialIntervalMs: scaled(1000),
  maxIntervalMs: scaled(30_000),
};

const VARIANTS = {
  useBatch: {
    label: '`useBatch` (batchwatch)',
    row: (ctx) =>
      function Row({ id }) {
        ctx.renders++;
        const { status, progress } = useBatch(ctx.source, id, OURS);
        if (status) ctx.loaded.add(id);
        return h('li', null, `${status ?? '...'} ${progress?.fraction ?? ''}`);
      },
  },
  useQuery: {
    label: '`useQuery`, `refetchInterval: 1000`, reads `data`',
    row: (ctx) =>
      function Row({ id }) {
        ctx.renders++;
        const { data } = useQuery({
          queryKey: ['batch', id],
          queryFn: async ({ signal }) =>
            (await ctx.client.GET('/v1/batch/{id}', { params: { path: { id } }, signal })).data,
          refetchInterval: scaled(1000),
        });
        if (data) ctx.loaded.add(id);
        return h('li', null, `${data?.status ?? '...'} ${data?.processedItems ?? ''}`);
      },
  },
  useQueryFetching: {
    label: '`useQuery`, `refetchInterval: 1000`, reads `data` + `isFetching`',
    row: (ctx) =>
      function Row({ id }) {
        ctx.renders++;
        const { data, isFetching } = useQuery({
          queryKey: ['batch', id],
          queryFn: async ({ signal }) =>
            (await ctx.client.GET('/v1/batch/{id}', { params: { path: { id } }, signal })).data,
          refetchInterval: scaled(1000),
        });
        if (data) ctx.loaded.add(id);
        return h(
          'li',
          null,
          `${data?.status ?? '...'} ${data?.processedItems ?? ''}${isFetching ? ' (updating)' : ''}`,
        );
      },
  },
};

async function runPage(key) {
  const mock = createMockProviders({ seed: 4, maxRequests: 100 });
  const ids = Array.from({ length: rows }, () => mock.addJob('check', 'batch', RUNNING_UNCHANGED));
  const ctx = { renders: 0, commits: 0, requests: 0, loaded: new Set() };
  ctx.client = createCheckClient({
    apiKey: 'vfy_bench',
    baseUrl: PRODUCTION_BASES.check,
    fetch: (request) => {
      ctx.requests++;
      return mock.handle(request);
    },
  });
  ctx.source = checkBatch(ctx.client);
  const Row = VARIANTS[key].row(ctx);
  const queryClient = new QueryClient();
  const container = document.createElement('div');
  document.body.appendChild(container);
  const root = createRoot(container);
  const page = h(
    QueryClientProvider,
    { client: queryClient },
    h(
      React.Profiler,
      { id: 'page', onRender: () => ctx.commits++ },
      h(
        'ul',
        null,
        ids.map((id) => h(Row, { key: id, id })),
      ),
    ),
  );
  root.render(page);
  const startedAt = performance.now();
  while (ctx.loaded.size < rows) {
    if (performance.now() - startedAt > 30_000) throw new Error(`${key}: only ${ctx.loaded.size} rows loaded`);
    await sleep(5);
  }
  await sleep(scaled(100));
  const at = { renders: ctx.renders, commits: ctx.commits, requests: ctx.requests };
  const cpuBefore = process.cpuUsage();
  await sleep(scaled(windowMs));
  const cpu = cpuMs(cpuBefore);
  const renders = ctx.renders - at.renders;
  const commits = ctx.commits - at.commits;
  const requests = ctx.requests - at.requests;
  const text = container.textContent;
  root.unmount();
  queryClient.clear();
  container.remove();
  return {
    key,
    label: VARIANTS[key].label,
    rows,
    firstLoad: at,
    requests,
    requestsPerRowPerMinute: round(requests / rows / (windowMs / 60_000), 2),
    renders,
    commits,
    rendersPerPoll: round(requests ? renders / requests : 0, 3),
    commitsPerPoll: round(requests ? commits / requests : 0, 3),
    cpuMs: round(cpu, 0),
    cpuPerPollMs: round(requests ? cpu / requests : null, 3),
    shows: text.slice(0, 40),
  };
}

const pages = {};
for (const key of Object.keys(VARIANTS)) {
  log(`react: ${key}, ${rows} rows, ${windowMs / 1000} s scripted at ${speed}x`);
  pages[key] = await runPage(key);
}
const ours = pages.useBatch;
emit(args, {
  benchmark: 'react',
  quick,
  speed,
  rows,
  windowMs,
  pages: Object.values(pages),
  ratios: {
    requestsVsUseQuery: round(ratio(ours.requests, pages.useQuery.requests), 3),
    rendersVsUseQuery: round(ratio(ours.renders, pages.useQuery.renders), 3),
    rendersVsUseQueryFetching: round(ratio(ours.renders, pages.useQueryFetching.renders), 3),
    cpuVsUseQuery: round(ratio(ours.cpuMs, pages.useQuery.cpuMs), 3),
  },
  goals: { zeroRendersPerUnchangedPoll: ours.renders === 0 },
});
window.close?.();
process.exit(0);
