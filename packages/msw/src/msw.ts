import { type HttpHandler, http } from 'msw';
import type { MockProvider } from './described.js';
import { type MockBases, type MockProviderName, type MockProviders, PRODUCTION_BASES } from './engine.js';

/** Options for the msw handler factories. */
export interface ProviderHandlerOptions {
  /** Where the provider's routes start. Defaults to the provider's production URL. */
  baseUrl?: string;
}

/** Options for {@link providerHandlers}: a base URL per provider. */
export interface ProvidersHandlerOptions {
  /** Defaults to `https://api.supermetrics.com`. */
  supermetrics?: ProviderHandlerOptions;
  /** Defaults to `https://api.runflow.io`. */
  runflow?: ProviderHandlerOptions;
  /** Defaults to `https://api.check.ai`. */
  check?: ProviderHandlerOptions;
}

function handlersFor(provider: MockProviderName, mock: MockProviders, options: ProviderHandlerOptions): HttpHandler[] {
  const base = (options.baseUrl ?? PRODUCTION_BASES[provider]).replace(/\/+$/, '');
  // A request under the base that no route knows falls through, so `onUnhandledRequest: 'error'` reports it.
  return [http.all(`${base}/*`, ({ request }) => mock.handle(request, { [provider]: base }))];
}

/**
 * msw handlers serving Supermetrics from `mock`: `GET /query/status`, `GET /query/data/{context_type}`,
 * `GET /query/results` and the `/query/batch` endpoints.
 */
export function supermetricsHandlers(mock: MockProviders, options: ProviderHandlerOptions = {}): HttpHandler[] {
  return handlersFor('supermetrics', mock, options);
}

/**
 * msw handlers serving Runflow from `mock`: batch create (with `Idempotency-Key`), batch, items,
 * item and run reads.
 */
export function runflowHandlers(mock: MockProviders, options: ProviderHandlerOptions = {}): HttpHandler[] {
  return handlersFor('runflow', mock, options);
}

/** msw handlers serving Check from `mock`: batch create, list, read, results and cancel. */
export function checkHandlers(mock: MockProviders, options: ProviderHandlerOptions = {}): HttpHandler[] {
  return handlersFor('check', mock, options);
}

/**
 * msw handlers serving a provider of your own (made by `defineMockProvider` and given to
 * `createMockProviders({ providers })`) from `mock`, at its production base URL or `options.baseUrl`.
 *
 * @example
 * const openai = defineMockProvider({ name: 'openai', baseUrl: OPENAI_BASE_URL, kinds: [openaiBatchKind] });
 * const mock = createMockProviders({ providers: [openai] });
 * const server = setupServer(...mockProviderHandlers(mock, openai));
 */
export function mockProviderHandlers<P extends string>(
  mock: MockProviders<P>,
  provider: MockProvider<P>,
  options: ProviderHandlerOptions = {},
): HttpHandler[] {
  const base = (options.baseUrl ?? provider.baseUrl).replace(/\/+$/, '');
  const bases = { [provider.name]: base } as MockBases<P>;
  return [http.all(`${base}/*`, ({ request }) => mock.handle(request, bases))];
}

/**
 * msw handlers for all three providers.
 *
 * @example
 * const mock = createMockProviders();
 * const server = setupServer(...providerHandlers(mock));
 * server.listen({ onUnhandledRequest: 'error' });
 */
export function providerHandlers(mock: MockProviders, options: ProvidersHandlerOptions = {}): HttpHandler[] {
  return [
    ...supermetricsHandlers(mock, options.supermetrics),
    ...runflowHandlers(mock, options.runflow),
    ...checkHandlers(mock, options.check),
  ];
}
