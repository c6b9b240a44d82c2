// What a client accepts from the wire, against real local servers: a size cap on every body (counted
// as it streams, never buffered first), same-origin redirects only, and its own key redacted from
// every error a provider's echo would put it in.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthenticationError, HttpError, InvalidResponseError, ServerError, waitForJob } from '@batchwatch/core';
import { type RecordingServer, startRecordingServer } from '@batchwatch/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunflowClient, runflowBatch } from '../src/index.js';

const ID = '0190f2a4-5b6c-7d8e-9f01-23456789abcd';
const KEY = 'rf_live_SECRET_token_123';
const MiB = 1024 * 1024;

let server: RecordingServer;
let other: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer();
  other = await startRecordingServer();
});
afterEach(async () => {
  await Promise.all([server.close(), other.close()]);
});

const poll = (options: Parameters<typeof createRunflowClient>[0]) =>
  runflowBatch(createRunflowClient(options)).fetchSnapshot(ID, { signal: new AbortController().signal, now: () => 0 });

/** A server whose every answer is a JSON body that never ends; reports how many bytes it managed to write. */
async function endlessServer(status = 200, headers: Record<string, string> = {}) {
  const state = { written: 0, closed: false };
  let onClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    onClosed = resolve;
  });
  const chunk = Buffer.alloc(64 * 1024, ' ');
  const http: Server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.write('{"id":"x","pad":"');
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) state.written += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => {
      state.closed = true;
      onClosed();
    });
    pump();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    state,
    /** Resolves when the client has closed the connection (the test times out if it never does). */
    closed,
    close: () => {
      http.closeAllConnections();
      return new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe('response size cap (maxResponseBytes)', () => {
  it('should fail an endless 200 body as InvalidResponseError once past the cap, without reading the rest', async () => {
    const endless = await endlessServer();
    try {
      const error = await poll({ apiKey: KEY, baseUrl: endless.url, maxResponseBytes: MiB }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(/larger than maxResponseBytes \(1048576 bytes\)/);
      // The client stopped reading: the server could not write much past the cap before the socket closed.
      await endless.closed;
      expect(endless.state.closed).toBe(true);
      expect(endless.state.written).toBeLessThan(16 * MiB);
    } finally {
      await endless.close();
    }
  });

  it('should hold every body to 64 MiB by default, error bodies too', async () => {
    const endless = await endlessServer(500);
    try {
      const error = await poll({ apiKey: KEY, baseUrl: endless.url }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toMatch(/maxResponseBytes \(67108864 bytes\)/);
    } finally {
      await endless.close();
    }
  });

  it('should refuse a declared Content-Length above the cap before reading the body', async () => {
    server.respond(() => ({ headers: { 'content-length': String(2 * MiB) }, body: 'x'.repeat(2 * MiB) }));
    const error = await poll({ apiKey: KEY, baseUrl: server.url, maxResponseBytes: MiB }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/larger than maxResponseBytes/);
  });

  it('should accept a body under the cap, and take Infinity to lift it', async () => {
    server.respond(() => ({ body: { id: ID, status_code: 'running', pad: 'x'.repeat(MiB) } }));
    await expect(poll({ apiKey: KEY, baseUrl: server.url, maxResponseBytes: 2 * MiB })).resolves.toMatchObject({
      snapshot: { status: 'running' },
    });
    await expect(
      poll({ apiKey: KEY, baseUrl: server.url, maxResponseBytes: Number.POSITIVE_INFINITY }),
    ).resolves.toMatchObject({ snapshot: { status: 'running' } });
  });

  it('should validate maxResponseBytes', () => {
    expect(() => createRunflowClient({ apiKey: KEY, maxResponseBytes: 0 })).toThrow(/maxResponseBytes/);
    expect(() => createRunflowClient({ apiKey: KEY, maxResponseBytes: '1mb' as unknown as number })).toThrow(
      /maxResponseBytes: expected an integer >= 1 or Infinity/,
    );
  });
});

describe('redirects', () => {
  it('should refuse a redirect to another origin by default: HttpError naming it, nothing sent there', async () => {
    server.respond(() => ({ status: 302, headers: { location: `${other.url}/v1/batches/${ID}?token=abc` } }));
    other.respond(() => ({ body: { id: ID, status_code: 'succeeded' } }));
    const error = await poll({ apiKey: KEY, baseUrl: server.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 302 });
    expect((error as Error).message).toContain(`redirect to ${other.url} refused`);
    expect((error as Error).message).not.toContain('token=abc');
    expect(other.requests).toHaveLength(0);
  });

  it('should stop a watch at once on a cross-origin redirect (fatal, not retried)', async () => {
    server.respond(() => ({ status: 307, headers: { location: `${other.url}/x` } }));
    await expect(
      waitForJob(runflowBatch(createRunflowClient({ apiKey: KEY, baseUrl: server.url })), ID),
    ).rejects.toBeInstanceOf(HttpError);
    expect(server.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });

  it('should follow a same-origin redirect with the same headers', async () => {
    server.respond((r) =>
      r.url.startsWith('/moved')
        ? { body: { id: ID, status_code: 'running' } }
        : { status: 301, headers: { location: '/moved/here' } },
    );
    await expect(poll({ apiKey: KEY, baseUrl: server.url })).resolves.toMatchObject({
      snapshot: { status: 'running' },
    });
    expect(server.requests.map((r) => r.url)).toEqual([`/v1/batches/${ID}`, '/moved/here']);
    expect(server.requests[1]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('should give up after 5 same-origin redirects', async () => {
    server.respond((r) => ({
      status: 302,
      headers: { location: `${r.url.split('?')[0]}?n=${server.requests.length}` },
    }));
    const error = await poll({ apiKey: KEY, baseUrl: server.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as Error).message).toMatch(/refused: the client follows at most 5 same-origin redirects of a GET/);
    expect(server.requests).toHaveLength(6);
  });

  it("should follow any redirect with redirect: 'follow'", async () => {
    server.respond(() => ({ status: 302, headers: { location: `${other.url}/v1/batches/${ID}` } }));
    other.respond(() => ({ body: { id: ID, status_code: 'succeeded' } }));
    await expect(poll({ apiKey: KEY, baseUrl: server.url, redirect: 'follow' })).resolves.toMatchObject({
      snapshot: { status: 'succeeded' },
    });
    expect(other.requests).toHaveLength(1);
    expect(() => createRunflowClient({ apiKey: KEY, redirect: 'manual' as 'follow' })).toThrow(/redirect/);
  });
});

describe('echoed keys', () => {
  it('should redact its own key from the message and body of an error a provider echoed it in', async () => {
    server.respond(() => ({
      status: 401,
      body: { code: 'UNAUTHORIZED', message: `Invalid token ${KEY} (token "${KEY}")`, request_id: `req_${KEY}` },
    }));
    const error = (await poll({ apiKey: KEY, baseUrl: server.url }).catch((e: unknown) => e)) as AuthenticationError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toBe(
      'runflow HTTP 401 UNAUTHORIZED: Invalid token [redacted] (token "[redacted]") (request id req_[redacted])',
    );
    expect(JSON.stringify(error.body)).not.toContain(KEY);
    expect(String(error.stack)).not.toContain(KEY);
  });

  it('should redact a key echoed in a plain-text 5xx body', async () => {
    server.respond(() => ({ status: 503, body: `upstream rejected Authorization: Bearer ${KEY}` }));
    const error = (await poll({ apiKey: KEY, baseUrl: server.url }).catch((e: unknown) => e)) as ServerError;
    expect(error).toBeInstanceOf(ServerError);
    expect(error.message).not.toContain(KEY);
    expect(String(error.body)).toBe('upstream rejected Authorization: Bearer [redacted]');
  });
});
