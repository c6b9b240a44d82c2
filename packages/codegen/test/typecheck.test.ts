// The generated folder compiles with skipLibCheck false, its TODOs fail typecheck until chosen, a
// status the spec gains fails it too, and the generated client and job source work against a server.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generate, TODO_STATUS } from '../src/index.js';
import { FIXTURE, tempDir, typecheck } from './helpers.js';

const JOB = 'GET /exports/{export_id}';

// Uses the client, the raw and status types, the operations and the source, as an app would.
const USE = `import { type JobSnapshot, waitForJob } from '@batchwatch/core';
import {
  ACME_BASE_URL,
  type AcmeExport,
  acmeExportOperations,
  createAcmeClient,
  type KnownAcmeExportStatus,
  parseAcmeError,
} from './acme/client.gen.js';
import { acmeExport, acmeExportKind } from './acme/export.kind.js';

const client = createAcmeClient({ apiKey: 'k' });
export const done: Promise<JobSnapshot<AcmeExport>> = waitForJob(acmeExport(client), 'exp_1');
export const base: string = ACME_BASE_URL;
export const ops: { readonly read: 'GET /exports/{export_id}'; readonly create: 'POST /exports' } = acmeExportOperations;
export const known: KnownAcmeExportStatus = 'paused';
// @ts-expect-error: not a documented status
export const unknown: KnownAcmeExportStatus = 'archived';
export const state: string | undefined = (null as unknown as AcmeExport).progress?.processed?.toFixed();
export const parsed = parseAcmeError({ error: { code: 'x', message: 'y' } });
export const field: string = acmeExportKind.status.field;
`;

const choose = (dir: string) => {
  const path = join(dir, 'acme/export.kind.ts');
  const text = readFileSync(path, 'utf8');
  writeFileSync(
    path,
    text
      .replace(`expired: '${TODO_STATUS}'`, "expired: 'failed'")
      .replace(`paused: '${TODO_STATUS}'`, "paused: 'running'"),
  );
};

describe('the generated code under tsc (strict, skipLibCheck false)', () => {
  it('should fail on each TODO status until it is chosen, then compile', async () => {
    const dir = tempDir('tsc');
    await generate({ spec: FIXTURE, out: join(dir, 'acme'), jobs: [JOB], cwd: dir });
    writeFileSync(join(dir, 'use.ts'), USE);
    const before = typecheck(dir);
    const errors = before.output.split('\n').filter((line) => line.includes('error TS'));
    expect(before.code).not.toBe(0);
    expect(errors).toHaveLength(2);
    for (const line of errors) {
      expect(line).toMatch(/^acme\/export\.kind\.ts\(\d+,\d+\): error TS2322: /);
      expect(line).toContain(`Type '"${TODO_STATUS}"' is not assignable to type 'JobStatus'.`);
    }
    choose(dir);
    const after = typecheck(dir);
    expect(after.output).toBe('');
    expect(after.code).toBe(0);
  });

  it('should fail typecheck when the spec gains a status the table lacks', async () => {
    const dir = tempDir('grown');
    const spec = join(dir, 'acme.yaml');
    copyFileSync(FIXTURE, spec);
    await generate({ spec, out: join(dir, 'acme'), jobs: [JOB], cwd: dir });
    choose(dir);
    writeFileSync(
      spec,
      readFileSync(spec, 'utf8').replace('enum: [pending, running,', 'enum: [pending, archived, running,'),
    );
    const again = await generate({ spec, out: join(dir, 'acme'), jobs: [JOB], cwd: dir });
    expect(again.files.find((f) => f.path.endsWith('export.kind.ts'))?.state).toBe('kept');
    const result = typecheck(dir);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("Property 'archived' is missing");
  });
});

interface Seen {
  method: string;
  url: string;
  key: string | undefined;
}

/** A local Acme on 127.0.0.1: the export is pending, then running 2/4, then done 4/4 (one failed). */
async function acmeServer(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  let reads = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', key: req.headers['x-acme-key'] as string | undefined });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/v2/exports/exp_missing')
      return json(404, { error: { code: 'not_found', message: 'No export exp_missing' } });
    const step = reads++;
    const state = ['pending', 'running', 'done'][Math.min(step, 2)];
    const processed = [0, 2, 4][Math.min(step, 2)];
    json(200, {
      id: 'exp_1',
      state,
      progress: { total: 4, processed, failed: step >= 2 ? 1 : 0 },
      created_at: '2026-01-01T00:00:00Z',
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v2`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the generated client and job source at run time', () => {
  it('should send the key in its header, check ids before sending, parse errors, and watch a job to its end', async () => {
    const dir = tempDir('runtime');
    await generate({ spec: FIXTURE, out: join(dir, 'acme'), jobs: [JOB], cwd: dir });
    choose(dir);
    const { createAcmeClient } = await import(pathToFileURL(join(dir, 'acme/client.gen.ts')).href);
    const { acmeExport } = await import(pathToFileURL(join(dir, 'acme/export.kind.ts')).href);
    const { waitForJob, ValidationError, NotFoundError } = await import('@batchwatch/core');
    const server = await acmeServer();
    try {
      const source = acmeExport(createAcmeClient({ apiKey: 'acme-secret', baseUrl: server.url }));
      const options = { minIntervalMs: 1, initialIntervalMs: 1, maxIntervalMs: 20, timeoutMs: 10_000 };
      // The spec's pattern ^exp_[a-z0-9]+$ refuses this id before any request.
      await expect(waitForJob(source, 'EXP-1', options)).rejects.toBeInstanceOf(ValidationError);
      expect(server.seen).toEqual([]);
      const missing = await waitForJob(source, 'exp_missing', options).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(NotFoundError);
      expect(missing).toMatchObject({ code: 'not_found', message: expect.stringContaining('No export exp_missing') });
      const final = await waitForJob(source, 'exp_1', { ...options, resolveOnUnsuccessful: true });
      expect(final).toMatchObject({
        provider: 'acme',
        kind: 'export',
        status: 'succeeded',
        rawStatus: 'done',
        progress: { completed: 4, failed: 1, total: 4 },
        timestamps: { createdAt: '2026-01-01T00:00:00Z' },
      });
      expect(new Set(server.seen.map((s) => s.key))).toEqual(new Set(['acme-secret']));
      expect(server.seen.at(-1)).toMatchObject({ method: 'GET', url: '/v2/exports/exp_1' });
    } finally {
      await server.close();
    }
  });
});
