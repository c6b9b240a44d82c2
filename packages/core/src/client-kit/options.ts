import { ValidationError } from '../errors.js';
import { type ParamRules, type RequestParams, validateParams } from './params.js';

/** Options every provider client takes. */
export interface ProviderClientOptions {
  /** The provider's API key or token. Sent only in the `Authorization` header; never logged or put in a URL. */
  apiKey: string;
  /** The API base URL. Defaults to the provider's production URL. */
  baseUrl?: string;
  /** A `fetch` to use, e.g. for tests or proxies. Defaults to `globalThis.fetch`, looked up at call time. */
  fetch?: (request: Request) => Promise<Response>;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/** Options after validation, ready for openapi-fetch. */
export interface ResolvedClientOptions {
  /** The base URL without a trailing slash. */
  baseUrl: string;
  /** The `fetch` to call. */
  fetch: (request: Request) => Promise<Response>;
  /** Headers for every request, `Authorization` and `User-Agent` included. */
  headers: Record<string, string>;
}

/** The package version, sent in `User-Agent`. */
const USER_AGENT = 'batchwatch';

/**
 * Validates the options shared by every client and fills in defaults. Throws {@link ValidationError}
 * naming the bad option; the key itself never appears in the message.
 */
export function resolveClientOptions(
  options: ProviderClientOptions,
  defaults: { baseUrl: string; authHeader: (apiKey: string) => Record<string, string> },
): ResolvedClientOptions {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError('options', 'an object with an apiKey');
  }
  const { apiKey } = options;
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new ValidationError('apiKey', 'a non-empty string');
  }
  if (/[\s\u0000-\u001f\u007f]/.test(apiKey)) {
    throw new ValidationError('apiKey', 'a key without spaces or control characters');
  }
  const baseUrl = (options.baseUrl ?? defaults.baseUrl).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ValidationError('baseUrl', 'an absolute http(s) URL', { received: JSON.stringify(baseUrl) });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError('baseUrl', 'an absolute http(s) URL', { received: JSON.stringify(baseUrl) });
  }
  if (url.username || url.password || url.search) {
    throw new ValidationError('baseUrl', 'a URL without credentials or a query string');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new ValidationError('fetch', 'a function (request: Request) => Promise<Response>');
  }
  const customFetch = options.fetch;
  return {
    baseUrl,
    fetch: customFetch ?? ((request: Request) => globalThis.fetch(request)),
    headers: {
      'User-Agent': USER_AGENT,
      ...options.headers,
      ...defaults.authHeader(apiKey),
    },
  };
}

/** What openapi-fetch passes to `onRequest` (the part we use). */
export interface GuardContext {
  request: Request;
  schemaPath: string;
  params: RequestParams;
}

/** The openapi-fetch middleware {@link createRequestGuard} returns. */
export interface RequestGuard {
  /** Throws `ValidationError` for a bad parameter; returns the request unchanged otherwise. */
  onRequest(context: GuardContext): Request;
}

/**
 * An openapi-fetch middleware that checks every request's parameters against the spec's rules
 * before anything is sent, and refuses secrets in the query string.
 */
export function createRequestGuard(
  rules: ParamRules,
  options?: { forbiddenQueryKeys?: readonly string[] },
): RequestGuard {
  const forbidden = options?.forbiddenQueryKeys ?? [];
  return {
    onRequest({ request, schemaPath, params }) {
      for (const key of forbidden) {
        if (hasKeyDeep(params?.query, key)) {
          throw new ValidationError(
            `query.${key}`,
            'no key in the URL: pass apiKey to the client, which sends it in the Authorization header',
          );
        }
      }
      validateParams(rules, `${request.method.toUpperCase()} ${schemaPath}`, params);
      return request;
    },
  };
}

function hasKeyDeep(value: unknown, key: string): boolean {
  if (value === null || typeof value !== 'object') return false;
  const obj = value as Record<string, unknown>;
  return obj[key] !== undefined || Object.values(obj).some((v) => typeof v === 'object' && hasKeyDeep(v, key));
}
