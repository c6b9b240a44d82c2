// The routing of a provider made with defineMockProvider: each kind's status read, its results page
// (when its description pages items), its create and cancel operations, and the error replies.
import type { MockProviderOptions } from './described.js';
import type { DescribedKind } from './described-kind.js';
import {
  type EngineApi,
  type ErrorDetail,
  isRecord,
  type JobView,
  type MockJob,
  type ProviderAdapter,
  type Reply,
  type Route,
  type RouteRequest,
  readJson,
} from './providers/shared.js';

const ERRORS: Record<number, [code: string, message: string]> = {
  400: ['bad_request', 'The request is malformed.'],
  401: ['unauthorized', 'Invalid API key.'],
  404: ['not_found', 'Not found.'],
  409: ['conflict', 'The request conflicts with the current state.'],
  429: ['rate_limited', 'Rate limit exceeded.'],
  500: ['server_error', 'An internal error occurred.'],
  502: ['bad_gateway', 'Upstream service error.'],
  503: ['service_unavailable', 'The service is temporarily unavailable.'],
};

/** The provider's error reply: `errorBody` (defaults to `{ error: { code, message } }`) with a code and message per status. */
export function errorReply(errorBody: MockProviderOptions<string>['errorBody']): ProviderAdapter['error'] {
  const bodyOf = errorBody ?? ((_status: number, e: { code: string; message: string }) => ({ error: e }));
  return (status: number, detail: ErrorDetail): Reply => {
    const [code, message] = ERRORS[status] ?? ['server_error', 'An internal error occurred.'];
    const retry = detail.retryAfter === undefined ? '' : ` Retry after ${detail.retryAfter} seconds.`;
    return {
      status,
      body: bodyOf(status, { code: detail.code ?? code, message: `${detail.message ?? message}${retry}` }),
    };
  };
}

/** `"GET /a/{id}/b"` as a route: method, `:id` path, and its path parameters. */
function routeOf(operation: string, what: string): { method: Route['method']; path: string; params: string[] } {
  const m = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)$/.exec(operation);
  if (!m)
    throw new TypeError(
      `${what}: expected "<METHOD> <path>", e.g. "GET /v1/batches/{id}", got ${JSON.stringify(operation)}`,
    );
  const params: string[] = [];
  const path = (m[2] ?? '')
    .split('/')
    .map((segment) => {
      if (!segment.includes('{')) return segment;
      const p = /^\{([^{}]+)\}$/.exec(segment)?.[1];
      if (!p) throw new TypeError(`${what} ${operation}: the mock serves path parameters that fill a whole segment`);
      params.push(p);
      return `:${p}`;
    })
    .join('/');
  return { method: m[1] as Route['method'], path, params };
}

/** What every route of one kind shares. */
interface KindRoutes {
  provider: string;
  d: DescribedKind;
  error: ProviderAdapter['error'];
  /** The error statuses a fault may answer with. */
  errors: readonly number[];
  notFound: (req: RouteRequest) => Reply;
  /** The job of this kind whose id is path parameter `param`. */
  find: (req: RouteRequest, engine: EngineApi, param: string) => MockJob | undefined;
  /** The id parameter of the status read, the default of the others. */
  readParam: string;
}

/** The part of a route every kind's operation shares: where it answers, its operation id and fault statuses. */
function at(k: KindRoutes, route: ReturnType<typeof routeOf>, operationId: string) {
  return { method: route.method, path: route.path, operationId, errors: k.errors };
}

/** The status read: the job's body as the engine's script shows it now. */
function readRoute(k: KindRoutes, read: ReturnType<typeof routeOf>): Route {
  const answer = (job: MockJob) => (view: JobView) => ({ status: 200, body: k.d.body(job, view) });
  return {
    ...at(k, read, k.d.kind.operation),
    notFound: k.notFound,
    handle(req, engine) {
      const job = k.find(req, engine, k.readParam);
      return job ? engine.poll(req, job, 'status', answer(job)) : k.notFound(req);
    },
  };
}

/** The results page, when the description pages items at `results.items`. */
function resultsRoute(k: KindRoutes): Route[] {
  const results = k.d.kind.results;
  if (!results || typeof results.items !== 'string') return [];
  const page = routeOf(results.operation, `${k.provider} ${k.d.name} results.operation`);
  return [
    {
      ...at(k, page, results.operation),
      notFound: k.notFound,
      handle(req, engine) {
        const job = k.find(req, engine, page.params[0] ?? k.readParam);
        if (!job) return k.notFound(req);
        return engine.results(req, job, (view) => k.d.page(job, view, engine, req) ?? { status: 500 });
      },
    },
  ];
}

/** `operations.create`: a job made from the request's JSON body, answered like a status read. */
function createRoute(k: KindRoutes, create: string): Route {
  const r = routeOf(create, `${k.provider} ${k.d.name} operations.create`);
  return {
    ...at(k, r, create),
    async handle(req, engine) {
      const body = await readJson(req.request);
      if (!isRecord(body)) return k.error(400, { req, message: 'The request body must be a JSON object.' });
      const job = engine.create(k.provider, k.d.name, { meta: { request: body } });
      return { status: k.d.options.createStatus ?? 200, body: k.d.body(job, engine.observe(job)) };
    },
  };
}

/** `operations.cancel`: ends the job cancelled, answered like a status read; a job that ended gets a 409. */
function cancelRoute(k: KindRoutes, cancel: string): Route {
  const r = routeOf(cancel, `${k.provider} ${k.d.name} operations.cancel`);
  return {
    ...at(k, r, cancel),
    notFound: k.notFound,
    handle(req, engine) {
      const job = k.find(req, engine, r.params[0] ?? k.readParam);
      if (!job) return k.notFound(req);
      if (engine.ended(job)) {
        return k.error(409, { req, message: `The ${k.d.name} ${job.id} has already ended and cannot be cancelled.` });
      }
      return { status: 200, body: k.d.body(job, engine.cancel(job)) };
    },
  };
}

/** The routes of one kind: its status read, then its results page, create and cancel where it has them. */
export function routesOf(provider: string, d: DescribedKind, error: ProviderAdapter['error']): Route[] {
  const read = routeOf(d.kind.operation, `${provider} ${d.name} operation`);
  const k: KindRoutes = {
    provider,
    d,
    error,
    errors: [400, 401, 404, 409, 429, 500, 503],
    notFound: (req) =>
      error(404, { req, message: `No ${d.name} found with id ${JSON.stringify(Object.values(req.params)[0] ?? '')}.` }),
    find: (req, engine, param) => {
      const job = engine.find(provider, req.params[param] ?? '');
      return job?.kind === d.name ? job : undefined;
    },
    readParam: read.params[0] ?? d.kind.idParam,
  };
  const { create, cancel } = d.options.operations ?? {};
  return [
    readRoute(k, read),
    ...resultsRoute(k),
    ...(create !== undefined ? [createRoute(k, create)] : []),
    ...(cancel !== undefined ? [cancelRoute(k, cancel)] : []),
  ];
}
