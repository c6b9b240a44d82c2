// Two tenants in one QueryClient: each tenant's Runflow client talks to its own real local server
// (standing in for two accounts' keys), and the same batch id must never share a cache entry.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import { cleanup, renderHook, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobQueryKey, useBatch, useJobs } from '../src/index.js';
import { newClient, wrapper } from './helpers.js';

const ID = '0190f2a4-5b6c-7d8e-9f01-23456789abcd';

interface Tenant {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

async function tenantServer(status: string, note: string): Promise<Tenant> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    // The test page is http://localhost:3000: answer the browser's CORS preflight.
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, user-agent' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close', ...cors });
    res.end(JSON.stringify({ id: ID, status_code: status, items_total: 4, items_succeeded: 4, note }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let a: Tenant;
let b: Tenant;
beforeEach(async () => {
  a = await tenantServer('succeeded', 'tenant A');
  b = await tenantServer('failed', 'tenant B');
});
afterEach(async () => {
  cleanup();
  await Promise.all([a.close(), b.close()]);
});

const sourceOf = (tenant: Tenant, key: string) =>
  runflowBatch(createRunflowClient({ apiKey: key, baseUrl: tenant.url }));

describe('two tenants, one QueryClient', () => {
  it('should keep the same batch id of two scopes apart: each tenant polls its own server and sees its own body', async () => {
    const client = newClient();
    const sourceA = sourceOf(a, 'key_a');
    const sourceB = sourceOf(b, 'key_b');
    const { result } = renderHook(
      () => ({
        a: useBatch(sourceA, ID, { scope: 'tenant-a' }),
        b: useBatch(sourceB, ID, { scope: 'tenant-b' }),
      }),
      { wrapper: wrapper(client) },
    );
    await waitFor(() => expect(result.current.a.isTerminal && result.current.b.isTerminal).toBe(true));
    expect(result.current.a.status).toBe('succeeded');
    expect(result.current.b.status).toBe('failed');
    const note = (raw: unknown) => (raw as { note?: string } | undefined)?.note;
    expect(note(result.current.a.snapshot?.raw)).toBe('tenant A');
    expect(note(result.current.b.snapshot?.raw)).toBe('tenant B');
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
    expect(jobQueryKey(sourceA, ID, 'tenant-a')).not.toEqual(jobQueryKey(sourceB, ID, 'tenant-b'));
  });

  it('should keep scopes apart in useJobs too, per job', async () => {
    const { result } = renderHook(
      () =>
        useJobs([
          { source: sourceOf(a, 'key_a'), id: ID, scope: 'tenant-a' },
          { source: sourceOf(b, 'key_b'), id: ID, scope: 'tenant-b' },
        ]),
      { wrapper: wrapper(newClient()) },
    );
    await waitFor(() => expect(result.current.allTerminal).toBe(true));
    expect(result.current.jobs.map((job) => job.status)).toEqual(['succeeded', 'failed']);
    expect([a.requests.length, b.requests.length]).toEqual([1, 1]);
  });

  it('should put the scope last in the query key, and leave the key of an unscoped job as it was', () => {
    const source = sourceOf(a, 'key_a');
    expect(jobQueryKey(source, ID)).toEqual(['batchwatch', 'runflow', 'batch', ID]);
    expect(jobQueryKey(source, ID, 'acme')).toEqual(['batchwatch', 'runflow', 'batch', ID, 'acme']);
  });
});
