import { ValidationError } from '@batchwatch/core';
import { createRequestGuard, type ProviderClientOptions, resolveClientOptions } from '@batchwatch/core/client-kit';
import createClient, { type Client } from 'openapi-fetch';
import { paramRules } from './generated/params.gen.js';
import type { paths } from './generated/schema.gen.js';

/** Runflow's production API. */
export const RUNFLOW_BASE_URL = 'https://api.runflow.io';

/** Options for {@link createRunflowClient}. */
export interface RunflowClientOptions extends ProviderClientOptions {
  /** Sent as `X-Organization-Id` on every request. Defaults to none: the key's own organization. */
  organizationId?: string;
}

/** An openapi-fetch client typed by Runflow's spec: `client.GET('/v1/batches/{id}', ...)`. */
export type RunflowClient = Client<paths>;

/**
 * Creates a Runflow client. The token goes in `Authorization: Bearer`, never in a URL or an error.
 * Parameters the spec forbids (e.g. a batch id that is not a UUID) are rejected with a
 * `ValidationError` before any request is sent.
 *
 * @example
 * const runflow = createRunflowClient({ apiKey: process.env.RUNFLOW_API_TOKEN! });
 * const { data, error } = await runflow.GET('/v1/batches/{id}', { params: { path: { id } } });
 */
export function createRunflowClient(options: RunflowClientOptions): RunflowClient {
  const resolved = resolveClientOptions(options, {
    baseUrl: RUNFLOW_BASE_URL,
    authHeader: (token) => ({ Authorization: `Bearer ${token}` }),
  });
  const { organizationId } = options;
  if (organizationId !== undefined) {
    if (typeof organizationId !== 'string' || organizationId.trim() === '' || /[\r\n]/.test(organizationId)) {
      throw new ValidationError('organizationId', 'a non-empty string (sent as X-Organization-Id)');
    }
    resolved.headers['X-Organization-Id'] = organizationId;
  }
  const client = createClient<paths>(resolved);
  client.use(createRequestGuard(paramRules));
  return client;
}
