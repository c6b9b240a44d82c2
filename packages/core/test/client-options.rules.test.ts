// The rules every provider client gets from the client kit (client-kit/options): option checks that
// never echo the key, the size cap on every body, same-origin redirects only, the key cut out of
// echoed error bodies, and the request guard. Against real servers on 127.0.0.1 where HTTP happens.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRequestGuard,
  DEFAULT_MAX_RESPONSE_BYTES,
  type ParamRules,
  type ProviderClientOptions,
  resolveClientOptions,
} from '../src/client-kit/index.js';
import { HttpError, InvalidResponseError, ValidationError } from '../src/index.js';

const KEY = 'sk_test_K3Y"with\\quote';
const defaults = {
  baseUrl: 'https://api.example.test/v1',
  authHeader: (k: string) => ({ Authorization: `Bearer ${k}` }),
};
const resolve = (options: Partial<ProviderClientOptions>) =>
  resolveClientOptions({ apiKey: KEY, ...options } as ProviderClientOptions, defaults);

interface Local {
  url: string;
  requests: { method: string; url: string; auth: string | undefined }[];
}
const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/** A server on 127.0.0.1 answering with `handle`; records every request. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, local: Local) => void): Promise<Local> {
  const local: Local = { url: '', requests: [] };
  const server = createServer((req, res) => {
    local.requests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
    handle(req, res, local);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  local.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(() => {
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  });
  return local;
}

const redirect =
  (location: string, status = 302) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { location });
    res.end();
  };
const ok =
  (body = '{"ok":true}') =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  };

/** The ValidationError message resolveClientOptions throws for `options`. */
function refusal(options: unknown): string {
  try {
    resolveClientOptions(options as ProviderClientOptions, defaults);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('resolveClientOptions: option checks', () => {
  it.each([
    [null, 'invalid options: expected an object with an apiKey'],
    ['key', 'invalid options: expected an object with an apiKey'],
    [{}, 'invalid apiKey: expected a non-empty string'],
    [{ apiKey: '   ' }, 'invalid apiKey: expected a non-empty string'],
    [{ apiKey: 42 }, 'invalid apiKey: expected a non-empty string'],
    [{ apiKey: 'sk live' }, 'invalid apiKey: expected a key without spaces or control characters'],
    [{ apiKey: 'sk_live\n' }, 'invalid apiKey: expected a key without spaces or control characters'],
    [{ apiKey: 'sk\u0000live' }, 'invalid apiKey: expected a key without spaces or control characters'],
    [{ apiKey: 'sk\u001flive' }, 'invalid apiKey: expected a key without spaces or control characters'],
    [{ apiKey: 'sk\u007flive' }, 'invalid apiKey: expected a key without spaces or control characters'],
    [
      { apiKey: 'k', baseUrl: 'api.example.test' },
      'invalid baseUrl: expected an absolute http(s) URL (got "api.example.test")',
    ],
    [
      { apiKey: 'k', baseUrl: 'ftp://api.example.test' },
      'invalid baseUrl: expected an absolute http(s) URL (got "ftp://api.example.test")',
    ],
    [
      { apiKey: 'k', baseUrl: 'https://u:p@api.example.test' },
      'invalid baseUrl: expected a URL without credentials or a query string',
    ],
    [
      { apiKey: 'k', baseUrl: 'https://u@api.example.test' },
      'invalid baseUrl: expected a URL without credentials or a query string',
    ],
    [
      { apiKey: 'k', baseUrl: 'https://:p@api.example.test' },
      'invalid baseUrl: expected a URL without credentials or a query string',
    ],
    [
      { apiKey: 'k', baseUrl: 'https://api.example.test/?key=1' },
      'invalid baseUrl: expected a URL without credentials or a query string',
    ],
    [{ apiKey: 'k', fetch: 'fetch' }, 'invalid fetch: expected a function (request: Request) => Promise<Response>'],
    [{ apiKey: 'k', maxResponseBytes: 0 }, 'invalid maxResponseBytes: expected an integer >= 1 or Infinity (got 0)'],
    [
      { apiKey: 'k', maxResponseBytes: 1.5 },
      'invalid maxResponseBytes: expected an integer >= 1 or Infinity (got 1.5)',
    ],
    [
      { apiKey: 'k', maxResponseBytes: Number.NaN },
      'invalid maxResponseBytes: expected an integer >= 1 or Infinity (got NaN)',
    ],
    [{ apiKey: 'k', redirect: 'manual' }, "invalid redirect: expected 'same-origin' or 'follow' (got manual)"],
  ])('should refuse %j', (options, message) => {
    expect(refusal(options)).toBe(message);
  });

  it('should never put the key in a message', () => {
    for (const apiKey of ['sk live SECRET', 'sk_SECRET\r\n']) expect(refusal({ apiKey })).not.toContain('SECRET');
  });

  it('should take the default base URL, drop trailing slashes, and accept the smallest size cap', () => {
    expect(resolve({}).baseUrl).toBe('https://api.example.test/v1');
    expect(resolve({ baseUrl: 'http://127.0.0.1:8080/api///' }).baseUrl).toBe('http://127.0.0.1:8080/api');
    expect(() => resolve({ maxResponseBytes: 1 })).not.toThrow();
    expect(() => resolve({ maxResponseBytes: Number.POSITIVE_INFINITY })).not.toThrow();
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(64 * 1024 * 1024);
  });

  it('should send User-Agent and extra headers, with the auth header last so it cannot be replaced', () => {
    expect(resolve({ headers: { 'X-Team': 'a', Authorization: 'Basic nope', 'User-Agent': 'mine' } }).headers).toEqual({
      'User-Agent': 'mine',
      'X-Team': 'a',
      Authorization: `Bearer ${KEY}`,
    });
    expect(resolve({}).headers).toEqual({ 'User-Agent': 'batchwatch', Authorization: `Bearer ${KEY}` });
  });
});

describe('resolveClientOptions: which fetch is used', () => {
  it('should call the given fetch, or the global fetch as it is at call time', async () => {
    const seen: string[] = [];
    const custom = resolve({
      fetch: async (r) => {
        seen.push(r.url);
        return new Response('{}');
      },
    });
    await custom.fetch(new Request('https://api.example.test/v1/a'));
    expect(seen).toEqual(['https://api.example.test/v1/a']);

    const saved = globalThis.fetch;
    const client = resolve({});
    globalThis.fetch = async (input) => {
      seen.push(String((input as Request).url));
      return new Response('{}');
    };
    try {
      await client.fetch(new Request('https://api.example.test/v1/b'));
    } finally {
      globalThis.fetch = saved;
    }
    expect(seen).toEqual(['https://api.example.test/v1/a', 'https://api.example.test/v1/b']);
  });
});

describe('resolveClientOptions: redirects', () => {
  it('should follow a same-origin redirect of a GET, with its headers, to a relative location', async () => {
    const api = await serve((req, res, local) => {
      if (req.url === '/v1/old') redirect('new?page=2', 307)(req, res);
      else ok(JSON.stringify(local.requests.at(-1)))(req, res);
    });
    const { fetch } = resolve({ baseUrl: api.url });
    const response = await fetch(new Request(`${api.url}/v1/old`, { headers: { Authorization: 'Bearer k' } }));
    expect(response.status).toBe(200);
    expect(api.requests).toEqual([
      { method: 'GET', url: '/v1/old', auth: 'Bearer k' },
      { method: 'GET', url: '/v1/new?page=2', auth: 'Bearer k' },
    ]);
  });

  it('should follow at most 5 redirects, then refuse the sixth', async () => {
    const chain = (hops: number) =>
      serve((req, res, local) => {
        if (local.requests.length <= hops) redirect(`/hop${local.requests.length}`)(req, res);
        else ok()(req, res);
      });
    const five = await chain(5);
    await expect(resolve({}).fetch(new Request(`${five.url}/start`))).resolves.toMatchObject({ status: 200 });
    expect(five.requests).toHaveLength(6);

    const six = await chain(6);
    const error = await resolve({})
      .fetch(new Request(`${six.url}/start`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({
      status: 302,
      message: `HTTP 302: redirect to ${six.url} refused: the client follows at most 5 same-origin redirects of a GET (option redirect)`,
    });
    expect(six.requests).toHaveLength(6);
  });

  it('should refuse a redirect to another origin, sending nothing there', async () => {
    const elsewhere = await serve(ok());
    const api = await serve(redirect(`${elsewhere.url}/steal`, 301));
    const error = await resolve({})
      .fetch(new Request(`${api.url}/v1/a`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(301);
    expect((error as Error).message).toContain(`redirect to ${elsewhere.url} refused`);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('should refuse to resend anything but a GET, even to its own origin', async () => {
    const api = await serve(redirect('/v1/elsewhere', 308));
    const post = new Request(`${api.url}/v1/a`, { method: 'POST', body: '{}' });
    await expect(resolve({}).fetch(post)).rejects.toBeInstanceOf(HttpError);
    expect(api.requests).toEqual([{ method: 'POST', url: '/v1/a', auth: undefined }]);
  });

  it('should hand back a 3xx without a location, and any status outside 300-399, as it is', async () => {
    const seen: number[] = [];
    const statuses = [304, 300, 399, 299, 400];
    const fetch = async (request: Request) => {
      seen.push(statuses.length);
      const status = statuses.shift() as number;
      const location: Record<string, string> = status === 304 ? {} : { location: new URL('/next', request.url).href };
      return new Response(null, { status: status === 299 ? 204 : status, headers: location });
    };
    const client = resolve({ fetch });
    expect((await client.fetch(new Request('https://api.example.test/v1/a'))).status).toBe(304);
    // 300 and 399 are redirects: followed to 204 (299 stands for "below 300" here).
    expect((await client.fetch(new Request('https://api.example.test/v1/a'))).status).toBe(204);
    expect((await client.fetch(new Request('https://api.example.test/v1/a'))).status).toBe(400);
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });

  it("should leave redirects to fetch with redirect: 'follow', to any origin", async () => {
    const elsewhere = await serve(ok('{"there":true}'));
    const api = await serve(redirect(`${elsewhere.url}/x`));
    const response = await resolve({ redirect: 'follow' }).fetch(new Request(`${api.url}/v1/a`));
    expect(await response.json()).toEqual({ there: true });
    const modes: RequestRedirect[] = [];
    const spy = resolve({
      redirect: 'follow',
      fetch: async (r) => {
        modes.push(r.redirect);
        return new Response('{}');
      },
    });
    await spy.fetch(new Request('https://api.example.test/v1/a'));
    const manual = resolve({
      fetch: async (r) => {
        modes.push(r.redirect);
        return new Response('{}');
      },
    });
    await manual.fetch(new Request('https://api.example.test/v1/a'));
    expect(modes).toEqual(['follow', 'manual']);
  });

  it("should have openapi-fetch build requests with redirect: 'manual', and send such a request as it is", async () => {
    expect(resolve({}).redirect).toBe('manual');
    expect(resolve({ redirect: 'same-origin' }).redirect).toBe('manual');
    expect(resolve({ redirect: 'follow' }).redirect).toBe('follow');
    const sent: Request[] = [];
    const client = resolve({
      fetch: async (r) => {
        sent.push(r);
        return new Response('{}');
      },
    });
    const manual = new Request('https://api.example.test/v1/a', { redirect: 'manual' });
    await client.fetch(manual);
    const follow = new Request('https://api.example.test/v1/a', { headers: { 'x-id': 'r1' } });
    await client.fetch(follow);
    expect(sent[0]).toBe(manual);
    expect(sent[1]).not.toBe(follow);
    expect([sent[1]?.redirect, sent[1]?.headers.get('x-id')]).toEqual(['manual', 'r1']);
  });
});

describe('resolveClientOptions: the size cap', () => {
  const body = (bytes: number, status = 200, declare = false) =>
    serve((_req, res) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(declare ? { 'content-length': String(bytes) } : { 'transfer-encoding': 'chunked' }),
      });
      res.end('x'.repeat(bytes));
    });

  it('should read a body of exactly the cap, and fail one byte more as it streams', async () => {
    const exact = await body(1000);
    const read = await resolve({ maxResponseBytes: 1000 }).fetch(new Request(exact.url));
    expect((await read.text()).length).toBe(1000);
    const over = await body(1001);
    const response = await resolve({ maxResponseBytes: 1000 }).fetch(new Request(over.url));
    const error = await response.text().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({
      message: 'the response body is larger than maxResponseBytes (1000 bytes)',
      status: 200,
    });
  });

  it('should refuse a declared Content-Length above the cap before reading, and accept one at it', async () => {
    const declared = await body(2000, 200, true);
    await expect(resolve({ maxResponseBytes: 1999 }).fetch(new Request(declared.url))).rejects.toThrow(
      'the response body is larger than maxResponseBytes (1999 bytes)',
    );
    const response = await resolve({ maxResponseBytes: 2000 }).fetch(new Request(declared.url));
    expect((await response.text()).length).toBe(2000);
  });

  it('should hold error bodies to the cap too, and read any size with Infinity', async () => {
    const big = await body(5000, 500);
    await expect(resolve({ maxResponseBytes: 100 }).fetch(new Request(big.url))).rejects.toBeInstanceOf(
      InvalidResponseError,
    );
    const unlimited = await resolve({ maxResponseBytes: Number.POSITIVE_INFINITY }).fetch(new Request(big.url));
    expect((await unlimited.text()).length).toBe(5000);
  });
});

describe('resolveClientOptions: the size cap, chunk by chunk', () => {
  /** A body whose chunks the test hands out one read at a time; records the reads and a cancel. */
  function chunked(chunks: (Uint8Array | Error)[]) {
    const log: string[] = [];
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const next = chunks.shift();
          log.push(`read ${next instanceof Error ? 'error' : (next?.byteLength ?? 'end')}`);
          if (next === undefined) controller.close();
          else if (next instanceof Error) controller.error(next);
          else controller.enqueue(next);
        },
        cancel(reason) {
          log.push(`cancel ${reason instanceof Error ? reason.message : String(reason)}`);
        },
      },
      { highWaterMark: 0 },
    );
    return {
      log,
      fetch: async () => new Response(body, { status: 200, statusText: 'Fine', headers: { 'x-id': 'r1' } }),
    };
  }
  const bytes = (n: number) => new Uint8Array(n).fill(120);

  it('should hand the chunks on as they are, with the status and headers, and stop reading when the count passes the cap', async () => {
    const source = chunked([bytes(400), bytes(400), bytes(201), bytes(50)]);
    const response = await resolve({ fetch: source.fetch, maxResponseBytes: 1000 }).fetch(
      new Request('https://api.example.test/v1/a'),
    );
    expect([response.status, response.statusText, response.headers.get('x-id')]).toEqual([200, 'Fine', 'r1']);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).value?.byteLength).toBe(400);
    expect((await reader.read()).value?.byteLength).toBe(400);
    const error = await reader.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({
      message: 'the response body is larger than maxResponseBytes (1000 bytes)',
      status: 200,
    });
    // The rest is never read: the body is cancelled at once.
    expect(source.log).toEqual([
      'read 400',
      'read 400',
      'read 201',
      'cancel the response body is larger than maxResponseBytes (1000 bytes)',
    ]);
  });

  it('should end with the body, and pass on its error and a cancel', async () => {
    const whole = chunked([bytes(3), bytes(2)]);
    const read = await resolve({ fetch: whole.fetch, maxResponseBytes: 5 }).fetch(new Request('https://a.test/'));
    expect(await read.text()).toBe('xxxxx');

    const broken = chunked([bytes(3), new Error('connection reset')]);
    const failed = await resolve({ fetch: broken.fetch }).fetch(new Request('https://a.test/'));
    await expect(failed.text()).rejects.toThrow('connection reset');

    const dropped = chunked([bytes(3), bytes(3)]);
    const response = await resolve({ fetch: dropped.fetch }).fetch(new Request('https://a.test/'));
    await response.body?.cancel(new Error('not needed'));
    await new Promise((done) => setTimeout(done, 10));
    expect(dropped.log).toContain('cancel not needed');
  });

  it('should count a compressed body as it is decompressed, whatever its Content-Length says', async () => {
    const packed = gzipSync(Buffer.alloc(50_000, 'x'));
    const api = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': packed.byteLength });
      res.end(packed);
    });
    const response = await resolve({ maxResponseBytes: 10_000 }).fetch(new Request(api.url));
    await expect(response.text()).rejects.toBeInstanceOf(InvalidResponseError);
    const whole = await resolve({ maxResponseBytes: 50_000 }).fetch(new Request(api.url));
    expect((await whole.text()).length).toBe(50_000);
  });
});

describe('resolveClientOptions: keys echoed in error bodies', () => {
  it('should cut the key, as sent and as JSON escapes it, out of an error body, keeping status and headers', async () => {
    const api = await serve((req, res) => {
      const text = JSON.stringify({ error: `bad key ${req.headers.authorization?.slice(7)}` });
      res.writeHead(401, 'Nope', {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-id': 'r1',
      });
      res.end(text);
    });
    const client = resolve({});
    const response = await client.fetch(new Request(api.url, { headers: client.headers }));
    expect(response.status).toBe(401);
    expect(response.statusText).toBe('Nope');
    expect(response.headers.get('x-id')).toBe('r1');
    expect(response.headers.get('content-length')).toBeNull();
    expect(await response.json()).toEqual({ error: 'bad key [redacted]' });

    const plain = await serve((req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end(`upstream refused ${req.headers.authorization} twice: ${req.headers.authorization}`);
    });
    const text = await (await client.fetch(new Request(plain.url, { headers: client.headers }))).text();
    expect(text).toBe('upstream refused Bearer [redacted] twice: Bearer [redacted]');
  });

  it('should leave successful bodies and bodiless errors as they are', async () => {
    const api = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ echo: req.headers.authorization }));
    });
    const client = resolve({});
    const response = await client.fetch(new Request(api.url, { headers: client.headers }));
    expect(await response.json()).toEqual({ echo: `Bearer ${KEY}` });
    const empty = resolve({ fetch: async () => new Response(null, { status: 404, statusText: 'Gone' }) });
    const bodiless = await empty.fetch(new Request('https://api.example.test/v1/a'));
    expect([bodiless.status, bodiless.statusText, bodiless.body]).toEqual([404, 'Gone', null]);
  });
});

describe('createRequestGuard', () => {
  const rules: ParamRules = {
    'GET /v1/jobs/{id}': [{ in: 'path', name: 'id', required: true, schema: { type: 'string', minLength: 3 } }],
    'PATCH /v1/jobs/{id}': [{ in: 'path', name: 'id', required: true, schema: { type: 'string', minLength: 3 } }],
  };
  const request = (method = 'GET') => new Request('https://api.example.test/v1/jobs/abc', { method });

  it('should check the parameters of the operation and hand the request back unchanged', () => {
    const guard = createRequestGuard(rules);
    const r = request();
    expect(guard.onRequest({ request: r, schemaPath: '/v1/jobs/{id}', params: { path: { id: 'abc' } } })).toBe(r);
    expect(() => guard.onRequest({ request: r, schemaPath: '/v1/jobs/{id}', params: { path: { id: 'ab' } } })).toThrow(
      'invalid id: expected a string of at least 3 characters (got "ab")',
    );
  });

  it('should match the operation by its upper-case method, whatever case the request has', () => {
    const guard = createRequestGuard(rules);
    expect(() =>
      guard.onRequest({ request: request('patch'), schemaPath: '/v1/jobs/{id}', params: { path: { id: 'x' } } }),
    ).toThrow(ValidationError);
  });

  it('should refuse a forbidden key anywhere in the query, and allow it when absent or undefined', () => {
    const guard = createRequestGuard(rules, { forbiddenQueryKeys: ['api_key', 'token'] });
    const at = (query: Record<string, unknown>) => () =>
      guard.onRequest({ request: request(), schemaPath: '/v1/jobs/{id}', params: { path: { id: 'abc' }, query } });
    expect(at({ api_key: 'k' })).toThrow(
      'invalid query.api_key: expected no key in the URL: pass apiKey to the client, which sends it in the Authorization header',
    );
    expect(at({ json: { settings: { token: 'k' } } })).toThrow('invalid query.token');
    expect(at({ list: [{ api_key: 'k' }] })).toThrow('invalid query.api_key');
    expect(at({ page: 2, json: { token: 'k' }, sort: 'asc' })).toThrow('invalid query.token');
    expect(at({ api_key: undefined, other: 'x', n: null })).not.toThrow();
    expect(at({ json: { tokens: 'k' } })).not.toThrow();
    expect(() =>
      guard.onRequest({ request: request(), schemaPath: '/v1/jobs/{id}', params: { path: { id: 'abc' } } }),
    ).not.toThrow();
  });

  it('should forbid nothing by default', () => {
    const guard = createRequestGuard(rules);
    expect(() =>
      guard.onRequest({
        request: request(),
        schemaPath: '/v1/jobs/{id}',
        params: { path: { id: 'abc' }, query: { api_key: 'k' } },
      }),
    ).not.toThrow();
  });
});
