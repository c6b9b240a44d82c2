// Which route of which provider answers a request: base URLs or prefixes, path templates, methods.
import type { MockProviderName, ProviderAdapter, Reply, Route } from './providers/shared.js';

/**
 * Where each provider's routes start: an absolute base URL, or a path prefix such as `/runflow` (any
 * origin). `P` names the providers defined with `defineMockProvider`.
 */
export type MockBases<P extends string = never> = Partial<Record<MockProviderName | P, string>>;

function compile(path: string): (rest: string) => Record<string, string> | undefined {
  const parts = path.split('/');
  return (rest) => {
    const got = rest.split('/');
    if (got.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i] ?? '';
      const seg = got[i] ?? '';
      if (want.startsWith(':')) {
        if (seg === '') return undefined;
        try {
          params[want.slice(1)] = decodeURIComponent(seg);
        } catch {
          return undefined;
        }
      } else if (want !== seg) return undefined;
    }
    return params;
  };
}

const matchers = new Map<Route, ReturnType<typeof compile>>();
const matcher = (route: Route) => {
  const known = matchers.get(route);
  if (known) return known;
  const m = compile(route.path);
  matchers.set(route, m);
  return m;
};

/** The part of `url`'s path after `base`, and the public base; `undefined` when the URL is not under it. */
function underBase(url: URL, base: string): { rest: string; publicBase: string } | undefined {
  const absolute = /^https?:\/\//i.test(base);
  const b = absolute ? new URL(base) : undefined;
  if (b && b.origin !== url.origin) return undefined;
  const prefix = (b ? b.pathname : base).replace(/\/+$/, '');
  const path = url.pathname;
  if (prefix !== '' && path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
  return { rest: path.slice(prefix.length) || '/', publicBase: `${url.origin}${prefix}` };
}

/** A route that answers a request, with its path parameters and the public base it came in on. */
export interface RouteMatch {
  adapter: ProviderAdapter;
  route: Route;
  params: Record<string, string>;
  base: string;
}

/** The first route under `bases` that answers `method` at `url`, or `undefined`. */
export function findRoute(
  adapters: ReadonlyMap<string, ProviderAdapter>,
  bases: Readonly<Record<string, string | undefined>>,
  method: string,
  url: URL,
): RouteMatch | undefined {
  for (const [name, base] of Object.entries(bases)) {
    const adapter = adapters.get(name);
    if (!adapter || base === undefined) continue;
    const under = underBase(url, base);
    if (!under) continue;
    for (const route of adapter.routes) {
      if (route.method !== method.toUpperCase()) continue;
      const params = matcher(route)(under.rest);
      if (params) return { adapter, route, params, base: under.publicBase };
    }
  }
  return undefined;
}

/** Whether the request carries the key the mock expects for the provider (any, when none is set). */
export function authorized(
  expected: string | undefined,
  adapter: ProviderAdapter,
  request: Request,
  query: URLSearchParams,
): boolean {
  if (expected === undefined) return true;
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  return (bearer ?? adapter.credential?.(query)) === expected;
}

/** A reply as a Fetch API `Response`. */
export function toResponse(reply: Reply, headers: Record<string, string>): Response {
  const text = typeof reply.body === 'string';
  const contentType = reply.contentType ?? (text ? 'text/plain; charset=utf-8' : 'application/json');
  const payload = reply.body === undefined ? null : text ? (reply.body as string) : JSON.stringify(reply.body);
  return new Response(payload, { status: reply.status, headers: { 'Content-Type': contentType, ...headers } });
}
