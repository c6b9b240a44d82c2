// The public shapes of the mock providers: their options, what they report, and their methods.
import type { MockProvider } from './described.js';
import type { JobView, MockJobKind, MockProviderName, ProviderOptions } from './providers/shared.js';
import type { MockBases } from './routing.js';
import type { JobScript } from './script.js';

/**
 * The kind names a mock answers to: `query`, `batch` and `run` of the three providers, and any kind
 * of a provider defined with `defineMockProvider` (`P` names those providers).
 */
export type MockKindName<P extends string = never> = MockJobKind | ([P] extends [never] ? never : string & {});

/** Bearer keys the mock requires; a provider without one accepts any (or no) key. */
export interface MockApiKeys {
  /** Expected `Authorization: Bearer` (or `api_key` in `json=`) for Supermetrics. Defaults to none. */
  supermetrics?: string;
  /** Expected bearer token for Runflow. Defaults to none. */
  runflow?: string;
  /** Expected bearer key (`vfy_...`) for Check. Defaults to none. */
  check?: string;
}

/** Options for {@link createMockProviders}; `P` names the providers of `providers`. */
export interface MockProvidersOptions<P extends string = never> {
  /** Seeds every id and generated value: the same seed gives the same ids in the same order. Defaults to `1`. */
  seed?: number;
  /** The clock scripted time is measured on. Defaults to `Date.now()` looked up at each call, so fake timers apply. */
  clock?: {
    /** The current time in milliseconds. */
    now(): number;
  };
  /** Scripted time runs this many times faster than the clock. Defaults to `1`. */
  speed?: number;
  /** When set for a provider, a missing or wrong bearer gets that provider's real 401. Defaults to none. */
  apiKeys?: MockApiKeys & Partial<Record<NoInfer<P>, string>>;
  /**
   * Providers of your own, each described by its job kinds (`defineMockProvider`), served beside
   * Supermetrics, Runflow and Check with the same scripts and faults. Defaults to none.
   */
  providers?: readonly MockProvider<P>[];
  /** Supermetrics quirks. */
  supermetrics?: Pick<ProviderOptions, 'asyncStatus'>;
  /** Runflow quirks. */
  runflow?: Pick<ProviderOptions, 'cancelSpelling'>;
  /** The script of jobs created through the API (when no `nextScript` is queued). Defaults to `script.lifecycle()`. */
  defaultScript?: JobScript;
  /** How many entries `requests` keeps (oldest dropped first). Defaults to `1000`. */
  maxRequests?: number;
  /** Called (from a microtask) with the id of every job added or created through the API. Defaults to none. */
  onJobCreated?: (id: string) => void;
  /**
   * Called (from a microtask) once per job, with its id, when it ends: a read (or `job(id)`) first
   * sees its scripted end, or it is cancelled. Defaults to none.
   */
  onJobEnded?: (id: string) => void;
}

/** One request the mock answered. */
export interface MockRequestRecord<P extends string = never> {
  /** When it was answered, in clock milliseconds. */
  at: number;
  /** The HTTP method, upper case. */
  method: string;
  /** The URL path as received, including any prefix. */
  path: string;
  /** The provider whose route answered. */
  provider: MockProviderName | P;
  /** The spec's operationId of the route (`"<METHOD> <path>"` for a provider defined with `defineMockProvider`). */
  operationId: string;
  /** The HTTP status answered. */
  status: number;
}

/** A job's state as {@link MockProviders.job} reports it. */
export interface MockJobInfo<P extends string = never> {
  /** The job id. */
  id: string;
  /** The provider it belongs to. */
  provider: MockProviderName | P;
  /** Its kind at the provider. */
  kind: MockKindName<P>;
  /** The normalized state now. */
  state: JobView['state'];
  /** Items (sub-queries, nodes) now. */
  total: number;
  /** Items that reached an end. */
  done: number;
  /** Of `done`, how many failed. */
  failed: number;
  /** Status reads so far (faulted ones included). */
  reads: number;
  /** Whether the job was cancelled through the API. */
  cancelled: boolean;
  /** The script it plays. */
  script: JobScript;
  /** When it was created, in clock milliseconds. */
  createdAt: number;
  /** When it ended (first seen ended, or cancelled), in clock milliseconds; `undefined` before. */
  finishedAt: number | undefined;
  /**
   * When it ends, in clock milliseconds: `finishedAt` once ended, else the scripted end when only
   * the clock drives the script (every phase has `ms`, none `polls`), else `undefined`.
   */
  endsAt: number | undefined;
  /** Runflow batches: the `callback_url` it was created (or added) with. */
  callbackUrl: string | undefined;
}

/** What {@link MockProviders.addJob} can set besides the script. */
export interface MockJobInit {
  /** Runflow batches: the `callback_url`, as if the batch was created with one. Defaults to none. */
  callbackUrl?: string;
}

/**
 * The scripted providers. Create one per test (or `reset()` it between tests). `P` names the
 * providers defined with `defineMockProvider` that it serves too.
 */
export interface MockProviders<P extends string = never> {
  /** The seed in use. */
  readonly seed: number;
  /**
   * Adds a job and returns its id: Supermetrics query schedule id (40 hex) or batch `qrb_<12 hex>`,
   * Runflow UUID, Check `batch_<12 alnum>`, for a provider of your own its `newId` (by default
   * `<kind>_<24 alnum>`). Throws for a kind or end the provider does not have. The script defaults
   * to the mock's `defaultScript`.
   */
  addJob(provider: MockProviderName | P, kind: MockKindName<P>, script?: JobScript, init?: MockJobInit): string;
  /** Queues `script` for the next job created through `provider`'s API (one-shot, first in first out). */
  nextScript(provider: MockProviderName | P, script: JobScript): void;
  /**
   * A job's current state, without moving it (it is no status read); a job found at its scripted
   * end is finalized, so `onJobEnded` fires. `undefined` for an unknown id.
   */
  job(id: string): MockJobInfo<P> | undefined;
  /**
   * The event the provider pushes once the job ended: Runflow's `BatchCallbackEvent` (for a batch),
   * Check's `WebhookEvent` (`batch.completed` / `batch.failed`). `undefined` before the end, for an
   * unknown id, and when the provider pushes nothing (runs, Supermetrics, a cancelled Check batch).
   */
  pushEvent(id: string): unknown;
  /** The most recent requests (up to `maxRequests`), oldest first. */
  readonly requests: readonly MockRequestRecord<P>[];
  /** Forgets every job, queued script, idempotency key and logged request; ids start over from the seed. */
  reset(): void;
  /**
   * Answers a Fetch API request the way the provider would, or `undefined` when it is not a mock
   * route. `bases` says where each provider's routes start. Defaults to each provider's production
   * base URL ({@link PRODUCTION_BASES}, and the `baseUrl` of each provider of `providers`).
   */
  handle(request: Request, bases?: MockBases<P>): Promise<Response | undefined>;
}
