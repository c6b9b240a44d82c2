// A child process that hosts mock provider servers (127.0.0.1 only), so the server's CPU and
// memory never count against the client being measured. Driven over IPC by lib/common.mjs.
import { startMockProviderServer } from '@batchwatch/msw/server';
import { serveParent } from './common.mjs';

/** @type {Map<string, { server: import('@batchwatch/msw/server').MockProviderServer, speed: number, hinted: Map<string, string> }>} */
const servers = new Map();

/** The job id a status request is about: the last path segment, or Supermetrics' `json={"schedule_id"}`. */
function jobIdOf(url) {
  const json = url.searchParams.get('json');
  if (json) {
    try {
      return JSON.parse(json).schedule_id;
    } catch {
      return undefined;
    }
  }
  return decodeURIComponent(url.pathname.split('/').at(-1) ?? '');
}

/**
 * Makes the jobs in `hinted` answer their successful status reads with `Retry-After`, as a provider
 * that tells clients when to look again would. The mock only sends it on 429s, so the server's
 * `mock.handle` (the Fetch API core it calls for every request) is wrapped.
 */
function addRetryAfterOn200(server, hinted) {
  const handle = server.mock.handle.bind(server.mock);
  server.mock.handle = async (request, bases) => {
    const response = await handle(request, bases);
    if (response?.status !== 200 || hinted.size === 0 || request.method !== 'GET') return response;
    const seconds = hinted.get(jobIdOf(new URL(request.url)));
    if (seconds === undefined) return response;
    const headers = new Headers(response.headers);
    headers.set('Retry-After', seconds);
    return new Response(response.body, { status: response.status, headers });
  };
}

function get(name) {
  const entry = servers.get(name);
  if (!entry) throw new Error(`no server named ${name}`);
  return entry;
}

/**
 * A script whose fault windows are given in absolute clock ms (`absWindow: [from, to]`) is turned
 * into one with windows in scripted ms since the job's creation, which is what the mock reads.
 */
function resolveScript(script, createdAt, speed) {
  if (!script?.faults?.some((f) => f.absWindow)) return script;
  const faults = script.faults.map(({ absWindow, ...fault }) =>
    absWindow
      ? { ...fault, window: [Math.max(0, (absWindow[0] - createdAt) * speed), (absWindow[1] - createdAt) * speed] }
      : fault,
  );
  return { ...script, faults };
}

serveParent({
  async start({ name, options = {} }) {
    const server = await startMockProviderServer({ host: '127.0.0.1', ...options });
    const hinted = new Map();
    addRetryAfterOn200(server, hinted);
    servers.set(name, { server, speed: options.speed ?? 1, hinted });
    return { url: server.url, urls: server.urls };
  },

  /**
   * Adds the same job to each named server (same seed and order give the same id everywhere).
   * `retryAfter200` (real seconds, as text) makes its 200 answers carry `Retry-After`.
   */
  addJob({ names, provider, kind, script, retryAfter200 }) {
    return names.map((name) => {
      const { server, speed, hinted } = get(name);
      const before = Date.now();
      const id = server.mock.addJob(provider, kind, resolveScript(script, before, speed));
      if (retryAfter200 !== undefined) hinted.set(id, retryAfter200);
      return { id, createdAt: before };
    });
  },

  /** Adds `count` jobs with one script to one server; returns their ids. */
  addMany({ name, count, provider, kind, script }) {
    const { server } = get(name);
    const ids = [];
    for (let i = 0; i < count; i++) ids.push(server.mock.addJob(provider, kind, script));
    return ids;
  },

  /** What the server saw: requests by HTTP status (the log is bounded by `maxRequests`). */
  requests({ name }) {
    const { server } = get(name);
    const byStatus = {};
    for (const r of server.mock.requests) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    return { total: server.mock.requests.length, byStatus };
  },

  /** When each request at or after `since` (clock ms) was answered, oldest first (bounded by `maxRequests`). */
  requestTimes({ name, since = 0 }) {
    const { server } = get(name);
    return server.mock.requests.filter((r) => r.at >= since).map((r) => r.at);
  },

  /** This process's CPU time in ms since it started, to tell whether the server was the bottleneck. */
  cpu() {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },

  async close({ name }) {
    const { server } = get(name);
    servers.delete(name);
    await server.close();
  },

  async stop() {
    await Promise.all([...servers.values()].map(({ server }) => server.close()));
    servers.clear();
  },
});
