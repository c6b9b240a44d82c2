import { createRequestGuard, type ProviderClientOptions, resolveClientOptions } from '@batchwatch/core/client-kit';
import createClient, { type Client } from 'openapi-fetch';
import { paramRules } from './generated/params.gen.js';
import type { paths } from './generated/schema.gen.js';

/** Supermetrics' production API. */
export const SUPERMETRICS_BASE_URL = 'https://api.supermetrics.com';

/** Options for {@link createSupermetricsClient}. */
export type SupermetricsClientOptions = ProviderClientOptions;

/** An openapi-fetch client typed by the Supermetrics spec: `client.GET('/query/status', ...)`. */
export type SupermetricsClient = Client<paths>;

/**
 * Serializes query parameters the way Supermetrics reads them: an object value (the `json`
 * parameter) is sent JSON-encoded, `?json=%7B%22schedule_id%22...`; other values as plain text.
 */
export function supermetricsQuerySerializer(query: Record<string, unknown>): string {
  return Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(
      ([k, v]) =>
        `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'object' ? JSON.stringify(v) : String(v))}`,
    )
    .join('&');
}

/**
 * Creates a Supermetrics client. The key goes in `Authorization: Bearer`, never in the URL: an
 * `api_key` query parameter is refused. Pass `json` as an object; it is JSON-encoded for you.
 * Parameters that break the spec (a `schedule_id` with a space, an offset above 1,000,000) are
 * rejected with a `ValidationError` before any request is sent.
 *
 * @example
 * const sm = createSupermetricsClient({ apiKey: process.env.SUPERMETRICS_API_KEY! });
 * const { data } = await sm.GET('/query/status', { params: { query: { json: { schedule_id } } } });
 */
export function createSupermetricsClient(options: SupermetricsClientOptions): SupermetricsClient {
  const resolved = resolveClientOptions(options, {
    baseUrl: SUPERMETRICS_BASE_URL,
    authHeader: (key) => ({ Authorization: `Bearer ${key}` }),
  });
  const client = createClient<paths>({ ...resolved, querySerializer: supermetricsQuerySerializer });
  client.use(createRequestGuard(paramRules, { forbiddenQueryKeys: ['api_key'] }));
  return client;
}
