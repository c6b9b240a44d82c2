import { createRequestGuard, type ProviderClientOptions, resolveClientOptions } from '@batchwatch/core/client-kit';
import createClient, { type Client } from 'openapi-fetch';
import { paramRules } from './generated/params.gen.js';
import type { paths } from './generated/schema.gen.js';

/** Check's production API (`/v1/...` paths). */
export const CHECK_BASE_URL = 'https://api.check.ai';

/** Options for {@link createCheckClient}. */
export type CheckClientOptions = ProviderClientOptions;

/** An openapi-fetch client typed by the Check spec: `client.GET('/v1/batch/{id}', ...)`. */
export type CheckClient = Client<paths>;

/**
 * Creates a Check client. The key (`vfy_...`) goes in `Authorization: Bearer`, never in a URL or an
 * error. Parameters the spec forbids (a batch id without the `batch_` prefix, a page size above 100)
 * are rejected with a `ValidationError` before any request is sent.
 *
 * @example
 * const check = createCheckClient({ apiKey: process.env.CHECK_API_KEY! });
 * const { data } = await check.GET('/v1/batch/{id}', { params: { path: { id: 'batch_abc123' } } });
 */
export function createCheckClient(options: CheckClientOptions): CheckClient {
  const resolved = resolveClientOptions(options, {
    baseUrl: CHECK_BASE_URL,
    authHeader: (key) => ({ Authorization: `Bearer ${key}` }),
  });
  const client = createClient<paths>(resolved);
  client.use(createRequestGuard(paramRules));
  return client;
}
