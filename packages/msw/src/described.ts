// A mock provider of your own, made from its job-kind descriptions (`JobKind` from
// `@batchwatch/core/client-kit`, as `batchwatch generate` writes them): the description says where the
// status, the counts, the timestamps and the result items are, and its status table says which raw
// status the mock shows in each state. The engine plays the same scripts and faults as for our providers.
// Here: the options and defineMockProvider with its checks; each kind's vocabulary in described-kind.ts,
// its bodies and result pages in described-body.ts, its routes and the error replies in described-routes.ts.
import { type JobKind, paramValidator } from '@batchwatch/core/client-kit';
import { DescribedKind } from './described-kind.js';
import { errorReply, routesOf } from './described-routes.js';
import { type JobView, type ProviderAdapter, type Route, rateLimitHeaders } from './providers/shared.js';
import { alnum, seededRandom } from './random.js';

// biome-ignore lint/suspicious/noExplicitAny: any client, raw body, item and options: the mock reads the description's data only
export type AnyKind = JobKind<any, any, any, any> | JobKind<any, any, never, any>;

/**
 * The spec operations of a job kind besides its status read, as `"<METHOD> <path>"`: what
 * `batchwatch generate` writes as `<provider><Kind>Operations`.
 */
export interface MockKindOperations {
  /** Creates a job from the request's JSON body (kept as the job's `request`), answered like a status read. */
  readonly create?: string;
  /** Ends the job `cancelled`, answered like a status read; a job that already ended gets a 409. */
  readonly cancel?: string;
}

/** The job as a body template sees it. */
export interface MockBodyContext {
  /** The job id. */
  readonly id: string;
  /** The kind name. */
  readonly kind: string;
  /** The state the body shows. */
  readonly state: JobView['state'];
  /** The raw status the body shows. */
  readonly rawStatus: string;
  /** Items in the job now. */
  readonly total: number;
  /** Items that ended. */
  readonly done: number;
  /** Of those, the failed ones. */
  readonly failed: number;
  /** When it was created, in clock milliseconds. */
  readonly createdAt: number;
  /** When a read first saw it started, in clock milliseconds. */
  readonly startedAt: number | undefined;
  /** When it ended, in clock milliseconds. */
  readonly finishedAt: number | undefined;
  /** The JSON body it was created with through `operations.create` (`{}` for a job added with `addJob`). */
  readonly request: Readonly<Record<string, unknown>>;
}

/** One job kind of a mock provider. */
export interface MockKindOptions {
  /** The job kind's description: its operation, status field and table, counts, timestamps and results. */
  readonly kind: AnyKind;
  /** Its create and cancel operations (the generated `<provider><Kind>Operations`). Defaults to none. */
  readonly operations?: MockKindOperations;
  /**
   * The fields of a body besides those the description reads (which the mock sets itself: the id,
   * the status, the counts, the timestamps): the provider's other required fields, or a failure
   * message for a failed job. Called for every body. Defaults to the create request's JSON body.
   * A timestamp goes to the first of its fields this fills (else the first), as Unix seconds where
   * it holds a number (`created_at: 0` is enough), else as ISO 8601.
   */
  body?(job: MockBodyContext): Record<string, unknown>;
  /** The body field holding the job's id, or `null` for none. Defaults to `'id'`. */
  readonly idField?: string | null;
  /** A new job id. Defaults to `<kind>_` and 24 lower-case letters and digits. */
  newId?(random: () => number): string;
  /** Items of a job whose script gives no total. Defaults to `10`. */
  readonly defaultTotal?: number;
  /** The HTTP status of a create. Defaults to `200`. */
  readonly createStatus?: number;
  /**
   * Query parameter names of a results page, when they are not the usual ones (`offset`, `limit`,
   * `page`, `cursor`/`after`/`page_token`...), and whether page numbers start at 1. Defaults to the usual.
   */
  readonly resultsQuery?: {
    readonly offset?: string;
    readonly limit?: string;
    readonly page?: string;
    readonly cursor?: string;
    readonly firstPage?: 0 | 1;
  };
}

/** Options for {@link defineMockProvider}. */
export interface MockProviderOptions<P extends string> {
  /** The provider name: the `provider` of every kind, the path prefix on the mock server (`/<name>`). */
  readonly name: P;
  /** Its production base URL (the generated `<PROVIDER>_BASE_URL`): where msw handlers answer by default. */
  readonly baseUrl: string;
  /** Its job kinds: descriptions, or descriptions with operations and a body template. */
  readonly kinds: readonly (AnyKind | MockKindOptions)[];
  /** The body of an error reply. Defaults to `{ error: { code, message } }`. */
  errorBody?(status: number, error: { code: string; message: string }): unknown;
}

/** A provider the mock serves from job-kind descriptions; give it to `createMockProviders({ providers })`. */
export interface MockProvider<P extends string = string> {
  /** The provider name. */
  readonly name: P;
  /** Its production base URL. */
  readonly baseUrl: string;
  /** Its kind names. */
  readonly kinds: readonly string[];
}

const ADAPTERS = new WeakMap<MockProvider, ProviderAdapter>();

/** @internal The engine's view of a provider defined with {@link defineMockProvider}. */
export function adapterOf(provider: MockProvider): ProviderAdapter {
  const adapter = ADAPTERS.get(provider);
  if (!adapter) throw new TypeError('providers: expected providers made by defineMockProvider()');
  return adapter;
}

/**
 * A provider of your own for the mock, from its job-kind descriptions (as `batchwatch generate`
 * writes them): the status read answers with a body whose status field shows the raw status the
 * description's table maps to the scripted state (the first one by default; the others through a
 * phase's `raw` or `endRaw`), whose count fields add up to the scripted progress and whose
 * timestamps follow the job; `operations.create` makes jobs, `operations.cancel` cancels them,
 * and a results operation pages the items at `results.items` (with `results.next` for cursors).
 * Scripts, faults (`Retry-After` included) and the request log work as for our providers.
 *
 * Ends a kind cannot show (no documented status reads as it) are refused by `addJob`; a body
 * template (`body`) adds the provider's other fields.
 *
 * @example
 * const openai = defineMockProvider({
 *   name: 'openai',
 *   baseUrl: OPENAI_BASE_URL,
 *   kinds: [{ kind: openaiBatchKind, operations: openaiBatchOperations }],
 * });
 * const mock = createMockProviders({ providers: [openai] });
 * const id = mock.addJob('openai', 'batch', script.lifecycle({ progress: [0.5, 1], end: 'succeeded' }));
 */
export function defineMockProvider<const P extends string>(options: MockProviderOptions<P>): MockProvider<P> {
  const { name, baseUrl } = options;
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new TypeError(`name: expected a lower-case provider name such as openai, got ${JSON.stringify(name)}`);
  }
  if (typeof baseUrl !== 'string' || !/^https?:\/\/[^\s/]+/i.test(baseUrl)) {
    throw new TypeError(`baseUrl: expected the provider's absolute http(s) base URL, got ${JSON.stringify(baseUrl)}`);
  }
  const kindOptions = options.kinds.map(
    (k): MockKindOptions => (typeof k.kind === 'object' ? (k as MockKindOptions) : { kind: k as AnyKind }),
  );
  const tables = kindOptions.flatMap((k) => Object.keys(k.kind.status.table));
  const unknownStatus =
    ['paused', 'on_hold', 'mock_unknown_status'].find((s) => !tables.includes(s)) ?? 'mock_unknown_status';
  const error = errorReply(options.errorBody);
  const kinds = new Map<string, DescribedKind>();
  const routes: Route[] = [];
  for (const k of kindOptions) {
    if (k.kind.provider !== name) {
      throw new TypeError(`kinds: the ${k.kind.kind} kind is of provider ${k.kind.provider}, not ${name}`);
    }
    if (kinds.has(k.kind.kind)) throw new TypeError(`kinds: two kinds are named ${k.kind.kind}`);
    const described = new DescribedKind(k, unknownStatus, error);
    kinds.set(described.name, described);
    routes.push(...routesOf(name, described, error));
  }
  const adapter: ProviderAdapter = {
    name,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    kinds: Object.fromEntries(
      [...kinds].map(([kindName, d]) => [
        kindName,
        {
          ends: d.ends,
          defaultTotal: d.options.defaultTotal ?? 10,
          statuses: d.statuses,
          ...(d.items ? { items: d.items } : {}),
        },
      ]),
    ),
    unknownStatus,
    error,
    headers: (count, engine) => rateLimitHeaders(100, count, engine.now()),
    newId: (kindName, random) => {
      const d = kinds.get(kindName);
      return d?.options.newId ? d.options.newId(random) : `${kindName}_${alnum(random, 24)}`;
    },
    routes,
  };
  checkIds(name, kinds, adapter.newId);
  const provider: MockProvider<P> = Object.freeze({ name, baseUrl: adapter.baseUrl, kinds: [...kinds.keys()] });
  ADAPTERS.set(provider, adapter);
  return provider;
}

/** An id the mock makes must pass the spec's rule for the id parameter, or clients refuse it. */
function checkIds(name: string, kinds: ReadonlyMap<string, DescribedKind>, newId: ProviderAdapter['newId']): void {
  for (const [kindName, d] of kinds) {
    const sample = newId(kindName, seededRandom(1));
    try {
      paramValidator(d.kind.paramRules, d.kind.operation, d.kind.idParam)(sample);
    } catch (e) {
      throw new TypeError(
        `${name} ${kindName}: the mock's ids look like ${sample}, which ${d.kind.operation} refuses (${e instanceof Error ? e.message : String(e)}): pass newId`,
      );
    }
  }
}
