// End to end: the built page, served by server.mjs, in Debian's headless Chromium (playwright-core).
// The root `pnpm test` builds first (turbo), which runs `vite build` here; .ci/run installs chromium.
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardServer, start } from '../server.mjs';

const CHROMIUM = process.env.BATCHWATCH_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const here = fileURLToPath(new URL('..', import.meta.url));
/** What an ETA cell shows: the time left (`12s`, `1m20s`), `~` in front of a rough estimate. */
const ETA_TEXT = /^~?(\d+s|\d+m\d\ds|\d+h\d\dm)$/;
const RESULTS = join(here, 'test-results');

let dashboard: DashboardServer;
let browser: Browser | undefined;

beforeAll(async () => {
  // speed 4: the quick Check batch ends in ~1.5 s, the long one runs for a minute (time to cancel it).
  dashboard = await start({ port: 0, speed: 4 });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
});

describe('dashboard server', () => {
  it('should list the jobs of all three providers, without keys', async () => {
    const response = await fetch(`${dashboard.url}/api/jobs`);
    const text = await response.text();
    const { jobs } = JSON.parse(text) as { jobs: DashboardServer['jobs'] };
    expect(new Set(jobs.map((job) => job.provider))).toEqual(new Set(['supermetrics', 'runflow', 'check']));
    expect(jobs.filter((job) => job.cancellable).map((job) => `${job.provider} ${job.kind}`)).toEqual([
      'check batch',
      'supermetrics batch',
      'check batch',
    ]);
    for (const key of Object.values(dashboard.keys)) expect(text).not.toContain(key);
  });

  it('should serve only the jobs it created, and nothing outside dist/', async () => {
    const other = await fetch(`${dashboard.url}/api/batchwatch/jobs/check/batch/batch_000000000000`);
    expect(other.status).toBe(403);
    const job = dashboard.jobs.find((j) => j.provider === 'runflow');
    const cancel = await fetch(`${dashboard.url}/api/batchwatch/jobs/runflow/batch/${job?.id}/cancel`, {
      method: 'POST',
    });
    expect(cancel.status).toBe(405);
    expect(((await cancel.json()) as { error: { code: string } }).error.code).toBe('cancel_not_supported');
    expect((await fetch(`${dashboard.url}/%2e%2e/server.mjs`)).status).toBe(404);
    const page = await fetch(dashboard.url);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
  });
});

describe('dashboard in headless Chromium', () => {
  it('should run a job to 100%, cancel another, and never send a provider key', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install Debian chromium: apt-get install -y chromium`);
    }
    // launch() gives Chromium a fresh, empty profile (--user-data-dir) in a temp folder and removes it on close.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    // Wide enough for every column, the sparklines included (narrower windows drop them first).
    const context = await browser.newContext({ viewport: { width: 1400, height: 600 }, deviceScaleFactor: 1 });
    const requests: Request[] = [];
    context.on('request', (request) => requests.push(request));
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });

    await page.goto(dashboard.url);
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(dashboard.jobs.length);

    // The quick Check batch reaches 100% and succeeds.
    const quick = dashboard.jobs[0]!;
    const quickRow = page.locator(`tr[data-job-id="${quick.id}"]`);
    await page.locator(`tr[data-job-id="${quick.id}"][data-status="succeeded"]`).waitFor({ timeout: 20_000 });
    await expect
      .poll(() => quickRow.getByRole('progressbar').getAttribute('aria-valuenow'), { timeout: 5_000 })
      .toBe('100');
    expect(await quickRow.locator('.badge').textContent()).toBe('succeeded');

    // Runflow has no cancel: its button is disabled, with the reason as a tooltip.
    const runflowRow = page.locator(`tr[data-provider="runflow"]`).first();
    expect(await runflowRow.getByRole('button').isDisabled()).toBe(true);
    expect(await runflowRow.locator('.tip').getAttribute('title')).toMatch(/cannot be cancelled/);

    // The long Check batch runs: once its count has moved a few times, core's estimate shows as an
    // ETA, and its sparkline draws the progress of the snapshots the row has seen.
    const long = dashboard.jobs.find((job) => job.label.includes('(long)'))!;
    const longRow = page.locator(`tr[data-job-id="${long.id}"]`);
    const longEta = longRow.locator('td.col-eta');
    const longSpark = longRow.getByRole('img', { name: `${long.label} progress over time`, exact: false });
    await page.locator(`tr[data-job-id="${long.id}"][data-status="running"]`).waitFor({ timeout: 20_000 });
    await expect.poll(() => longEta.textContent(), { timeout: 20_000 }).toMatch(ETA_TEXT);
    expect(await longEta.locator('.eta').getAttribute('title')).toMatch(/^Ends about .+ at [\d.]+ items\/s; /);
    expect(await longSpark.isVisible()).toBe(true);
    expect(await longSpark.locator('title').textContent()).toMatch(
      /^Fact-check 200 claims \(long\) progress over time: \d+% to \d+% in \d+ s$/,
    );
    const points = async () => (await longSpark.locator('polyline').getAttribute('points'))?.split(' ') ?? [];
    // An estimate needs two running snapshots with different counts, each a point, plus the tail to now.
    expect((await points()).length).toBeGreaterThanOrEqual(3);

    // Cancel it: the ETA goes, the sparkline stays, ends at the cancel and stops moving.
    await longRow.getByRole('button', { name: /^Cancel / }).click();
    await page.locator(`tr[data-job-id="${long.id}"][data-status="cancelled"]`).waitFor({ timeout: 20_000 });
    expect(await longRow.locator('.badge').textContent()).toBe('cancelled');
    expect(await longRow.getByRole('button').isDisabled()).toBe(true);
    expect(dashboard.providers.mock.job(long.id)?.cancelled).toBe(true);
    await expect.poll(() => longEta.textContent(), { timeout: 5_000 }).toBe('');
    expect(await longSpark.locator('title').textContent()).toMatch(/ in \d+ s, then cancelled$/);
    const settled = await points();
    await page.waitForTimeout(1_000); // four ticks of the page's clock
    expect(await points()).toEqual(settled);
    expect(settled.at(-1)).toBe(settled.at(-2)); // no tail: the line ends at the last snapshot

    // The header shows both measures: a cancelled job counts the items it finished, and one ended job.
    const summary = page.getByRole('region', { name: 'All jobs' });
    const items = Number(await summary.getByRole('progressbar', { name: 'Items done' }).getAttribute('aria-valuenow'));
    const ended = Number(await summary.getByRole('progressbar', { name: 'Jobs ended' }).getAttribute('aria-valuenow'));
    expect(items).toBeGreaterThan(0);
    expect(items).toBeLessThan(100);
    expect(ended).toBeGreaterThanOrEqual(Math.round((2 / dashboard.jobs.length) * 100));
    expect(await summary.textContent()).toMatch(/% of items done · \d+(\/\d+)? items.*\d+ of \d+ jobs ended/);

    // Let the failing Runflow batch end too, so the screenshot shows every kind of ending, and let
    // two of the jobs still running show an ETA.
    await page.locator('tr[data-status="failed"]').first().waitFor({ timeout: 20_000 });
    const runningEtas = page.locator('tr[data-status="running"] td.col-eta .eta');
    await expect.poll(() => runningEtas.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    // Ended jobs show no ETA; `~` marks exactly the rough (low-confidence) estimates.
    for (const status of ['succeeded', 'failed', 'cancelled']) {
      for (const cell of await page.locator(`tr[data-status="${status}"] td.col-eta`).all()) {
        expect(await cell.textContent()).toBe('');
      }
    }
    for (const eta of await page.locator('td.col-eta .eta').all()) {
      const [text, className] = await Promise.all([eta.textContent(), eta.getAttribute('class')]);
      expect(text).toMatch(ETA_TEXT);
      expect(text?.startsWith('~')).toBe(className?.includes('eta-low'));
    }
    expect(await page.locator('svg.spark').count()).toBe(dashboard.jobs.length);
    await mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'dashboard.png'), fullPage: true });
    if (process.env.UPDATE_SCREENSHOT === '1') {
      await copyFile(join(RESULTS, 'dashboard.png'), join(here, 'screenshot.png'));
    }

    // Narrower windows drop the sparklines first and keep the ETA; the table still fits at 900 px,
    // and below that it scrolls inside its box, never the page.
    const overflow = () =>
      page.evaluate(() => {
        const box = document.querySelector('.table-box') as HTMLElement;
        const root = document.documentElement;
        return { table: box.scrollWidth - box.clientWidth, page: root.scrollWidth - root.clientWidth };
      });
    await page.setViewportSize({ width: 900, height: 600 });
    expect(await page.locator('th.col-history').isVisible()).toBe(false);
    expect(await page.locator('svg.spark').first().isVisible()).toBe(false);
    expect(await page.locator('th.col-eta').isVisible()).toBe(true);
    expect(await overflow()).toEqual({ table: 0, page: 0 });
    await page.setViewportSize({ width: 480, height: 600 });
    expect((await overflow()).page).toBe(0);

    // Everything the page asked for went to its own server, never to a provider, and carried no key.
    const origin = new URL(dashboard.url).origin;
    const providersPort = new URL(dashboard.providersUrl).port;
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.some((r) => r.url().includes('/api/batchwatch/jobs/check/batch/') && r.method() === 'POST')).toBe(
      true,
    );
    for (const request of requests) {
      const url = request.url();
      expect(new URL(url).origin, url).toBe(origin);
      expect(url).not.toContain(`:${providersPort}`);
      // allHeaders(): what went on the wire, cookies included (headers() leaves some out).
      const headers = await request.allHeaders();
      expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('authorization');
      const sent = `${url}\n${JSON.stringify(headers)}\n${request.postData() ?? ''}`;
      for (const key of Object.values(dashboard.keys)) expect(sent).not.toContain(key);
    }
    // ...while the server did poll the providers, with its keys (the mock answers 401 to anything else).
    const upstream = dashboard.providers.mock.requests;
    expect(new Set(upstream.map((r) => r.provider))).toEqual(new Set(['supermetrics', 'runflow', 'check']));
    expect(upstream.filter((r) => r.status === 401)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
