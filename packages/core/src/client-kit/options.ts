import { HttpError, InvalidResponseError, ValidationError } from '../errors.js';
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
  /**
   * The largest response body accepted, in bytes, error bodies included. A larger one fails with
   * `InvalidResponseError` as soon as the count passes it (a declared `Content-Length` at once): the
   * body is counted as it streams, never buffered first. `Infinity` lifts the cap. Defaults to
   * `DEFAULT_MAX_RESPONSE_BYTES` (64 MiB, from `@batchwatch/core/client-kit`).
   */
  maxResponseBytes?: number;
  /**
   * Which HTTP redirects are followed: `'same-origin'` follows at most 5 redirects of a `GET` to
   * the request's own origin and refuses any other with an `HttpError` (fatal; nothing is sent to
   * the other origin); `'follow'` follows any, as `fetch` does. In a browser, `'same-origin'`
   * refuses every redirect. Defaults to `'same-origin'`.
   */
  redirect?: 'same-origin' | 'follow';
}

/** The default `maxResponseBytes` of a provider client: 64 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const MAX_REDIRECTS = 5;

/** Options after validation, ready for openapi-fetch. */
export interface ResolvedClientOptions {
  /** The base URL without a trailing slash. */
  baseUrl: string;
  /** The `fetch` to call. */
  fetch: (request: Request) => Promise<Response>;
  /** Headers for every request, `Authorization` and `User-Agent` included. */
  headers: Record<string, string>;
  /** The requests' redirect mode: `'manual'` unless the client follows any, so `fetch` need not copy each request to set it. */
  redirect: 'manual' | 'follow';
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
  const max = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!(max === Number.POSITIVE_INFINITY || (Number.isInteger(max) && max >= 1))) {
    throw new ValidationError('maxResponseBytes', 'an integer >= 1 or Infinity', { received: String(max) });
  }
  const { redirect = 'same-origin' } = options;
  if (redirect !== 'same-origin' && redirect !== 'follow') {
    throw new ValidationError('redirect', "'same-origin' or 'follow'", { received: String(redirect) });
  }
  const customFetch = options.fetch;
  const send = customFetch ?? ((request: Request) => globalThis.fetch(request));
  // The key, as sent and as JSON would escape it, is cut out of every error body a provider echoes it in.
  const secrets = [apiKey, JSON.stringify(apiKey).slice(1, -1)];
  const answer = async (response: Response): Promise<Response> => {
    const body = limitBody(response, max);
    if (body.ok || !body.body) return body;
    let text = await body.text();
    for (const secret of secrets) text = text.split(secret).join('[redacted]');
    const headers = new Headers(body.headers);
    headers.delete('content-length');
    return new Response(text, { status: body.status, statusText: body.statusText, headers });
  };
  const follow = redirect === 'follow' ? send : sameOriginOnly(send);
  return {
    baseUrl,
    fetch: async (request: Request) => answer(await follow(request)),
    headers: {
      'User-Agent': USER_AGENT,
      ...options.headers,
      ...defaults.authHeader(apiKey),
    },
    redirect: redirect === 'follow' ? 'follow' : 'manual',
  };
}

/**
 * `send` following at most {@link MAX_REDIRECTS} redirects of a GET to the request's own origin; any
 * other redirect is a fatal `HttpError`, and nothing is sent to the other origin.
 */
function sameOriginOnly(send: (request: Request) => Promise<Response>): (request: Request) => Promise<Response> {
  return async (request) => {
    let current = request;
    for (let hop = 0; ; hop++) {
      const response = await send(
        current.redirect === 'manual' ? current : new Request(current, { redirect: 'manual' }),
      );
      const location = response.headers.get('location');
      if (response.status < 300 || response.status > 399 || location === null) return response;
      void response.body?.cancel();
      const target = new URL(location, current.url);
      // Only a GET is sent again (no body to resend, no method to change), and only to its own origin.
      if (hop >= MAX_REDIRECTS || current.method !== 'GET' || target.origin !== new URL(current.url).origin) {
        throw HttpError.from({
          status: response.status,
          message: `redirect to ${target.origin} refused: the client follows at most ${MAX_REDIRECTS} same-origin redirects of a GET (option redirect)`,
        });
      }
      current = new Request(target, current);
    }
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
  // Stryker disable next-line ArrayDeclaration: a default holding some made-up key only matters for a query that uses that key
  const forbidden = options?.forbiddenQueryKeys ?? [];
  return {
    onRequest({ request, schemaPath, params }) {
      for (const key of forbidden) {
        // Stryker disable next-line OptionalChaining: openapi-fetch always passes params (`{}` when there are none)
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

/** `response` with its body counted as it streams: past `max` bytes the read fails with `InvalidResponseError`. */
function limitBody(response: Response, max: number): Response {
  const { body } = response;
  if (!body || max === Number.POSITIVE_INFINITY) return response;
  const tooLarge = () =>
    new InvalidResponseError(`the response body is larger than maxResponseBytes (${max} bytes)`, {
      status: response.status,
    });
  if (Number(response.headers.get('content-length')) > max) {
    void body.cancel();
    throw tooLarge();
  }
  // A stream that pulls from the body's reader counts as a `TransformStream` with `pipeThrough` did, for a fraction of the CPU.
  const reader = body.getReader();
  let seen = 0;
  const counted = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      seen += value.byteLength;
      if (seen <= max) return controller.enqueue(value);
      const error = tooLarge();
      controller.error(error);
      reader.cancel(error).catch(() => {});
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(counted, response);
}
