// End to end: the built page, served by src/server.ts, in Debian's headless Chromium (playwright-core):
// each batch watched with useBatch through the server's job status handler, one cancelled from the
// page, and no request of the page leaving its own origin. The root `pnpm test` builds first (turbo).
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Request, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleServer, start } from '../src/server.js';

const CHROMIUM = process.env.BATCHWATCH_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

let server: ExampleServer;
let browser: Browser | undefined;

beforeAll(async () => {
  // speed 4: the first three batches end within about two seconds, the long one runs for minutes.
  server = await start({ port: 0, speed: 4 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the OpenAI batches page in headless Chromium', () => {
  it('should show every end, cancel a running batch, and keep the key and OpenAI off the page', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install Debian chromium: apt-get install -y chromium`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const page = await browser.newPage();
    const requests: Request[] = [];
    const bodies: Promise<string>[] = [];
    page.on('request', (request) => requests.push(request));
    page.on('response', (response: Response) => bodies.push(response.text().catch(() => '')));
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });

    await page.goto(server.url);
    const [completes, partial, expires, long] = server.batches;
    const row = (id: string | undefined, status: string) =>
      page.locator(`tr[data-batch-id="${id}"][data-status="${status}"]`);
    const cell = (id: string | undefined, name: string) => page.locator(`tr[data-batch-id="${id}"] .${name}`);

    await row(completes?.id, 'succeeded').waitFor({ timeout: 20_000 });
    expect(await cell(completes?.id, 'raw').textContent()).toBe('completed');
    expect(await cell(completes?.id, 'counts').textContent()).toBe('50/50');

    await row(partial?.id, 'partially_succeeded').waitFor({ timeout: 20_000 });
    expect(await cell(partial?.id, 'raw').textContent()).toBe('completed');
    expect(await cell(partial?.id, 'counts').textContent()).toBe('80/80 (8 failed)');
    expect(await cell(partial?.id, 'failure').textContent()).toBe('8 of 80 requests failed (see error_file_id)');

    await row(expires?.id, 'failed').waitFor({ timeout: 20_000 });
    expect(await cell(expires?.id, 'raw').textContent()).toBe('expired');
    expect(await cell(expires?.id, 'failure').textContent()).toMatch(
      /^the batch expired after its 24h window with \d+ of 60 requests not run$/,
    );

    // The long one runs: cancel it from the page; the server sends POST /batches/{id}/cancel.
    await row(long?.id, 'running').waitFor({ timeout: 20_000 });
    await page.locator(`tr[data-batch-id="${long?.id}"] button`).click();
    await row(long?.id, 'cancelled').waitFor({ timeout: 20_000 });
    expect(await cell(long?.id, 'raw').textContent()).toBe('cancelled');
    expect(server.openai.mock.job(long?.id ?? '')?.cancelled).toBe(true);

    // Every request of the page went to its own server, never to OpenAI or the mock, and no key came back.
    const origin = new URL(server.url).origin;
    expect(requests.some((r) => r.method() === 'POST' && r.url().includes('/api/batchwatch/jobs/openai/batch/'))).toBe(
      true,
    );
    for (const request of requests) {
      expect(new URL(request.url()).origin, request.url()).toBe(origin);
      expect(JSON.stringify(await request.allHeaders())).not.toContain(server.apiKey);
    }
    for (const body of await Promise.all(bodies)) expect(body).not.toContain(server.apiKey);
    // ...while the server polled the mock OpenAI with its key (any other gets a 401).
    const upstream = server.openai.mock.requests;
    expect(upstream.filter((r) => r.operationId === 'GET /batches/{batch_id}').length).toBeGreaterThan(4);
    expect(upstream.filter((r) => r.status === 401)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
