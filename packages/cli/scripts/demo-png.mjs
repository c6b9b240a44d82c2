#!/usr/bin/env node
// Refreshes demo.png: runs `batchwatch demo` in a 100-column pseudo-terminal (util-linux `script`),
// replays its output through a headless xterm to get the screen mid-run and at the end, and renders
// both in Debian's headless Chromium. Run after `pnpm build`: `pnpm --filter @batchwatch/cli demo:png`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import xterm from '@xterm/headless';
import { chromium } from 'playwright-core';

const COLUMNS = 100;
const ROWS = 16;
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const BIN = here('../dist/bin.js');
const OUT = here('../demo.png');
const CHROMIUM = process.env.BATCHWATCH_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);

// Every chunk the terminal received, with when it arrived.
const chunks = [];
const started = Date.now();
const code = await new Promise((resolve, reject) => {
  const child = spawn(
    'script',
    ['-qfec', `stty cols ${COLUMNS} rows ${ROWS}; exec '${process.execPath}' '${BIN}' demo --speed 4`, '/dev/null'],
    { env: { PATH: process.env.PATH, TERM: 'xterm-256color' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text) => chunks.push({ at: Date.now() - started, text }));
  child.on('error', reject);
  child.on('close', resolve);
});
if (code !== 0) throw new Error(`batchwatch demo exited ${code}`);

/** The screen after the chunks that arrived before `until` ms (or all of them). */
async function screen(until = Number.POSITIVE_INFINITY) {
  const term = new xterm.Terminal({ cols: COLUMNS, rows: ROWS, scrollback: 0, allowProposedApi: true });
  const text = chunks
    .filter((c) => c.at <= until)
    .map((c) => c.text)
    .join('');
  await new Promise((resolve) => term.write(text, resolve));
  const lines = [];
  const buffer = term.buffer.active;
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  term.dispose();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

const total = chunks.at(-1)?.at ?? 0;
const middle = await screen(total * 0.45);
const end = await screen();
const htmlText = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const html = `<!doctype html><meta charset="utf-8"><style>
  body { margin: 0; background: #1e1e2a; }
  pre { margin: 0; padding: 18px 22px; color: #d8d8e4; font: 14px/1.35 'DejaVu Sans Mono', monospace; width: ${COLUMNS}ch; }
  .note { color: #9a9ab0; }
</style><pre>${[
  `<span class="note">$ pnpm demo   # 8 jobs, 3 providers, mock server on 127.0.0.1; a ${COLUMNS}-column terminal, mid-run</span>`,
  ...middle.map(htmlText),
  '',
  '<span class="note">... and at the end</span>',
  ...end.map(htmlText),
].join('\n')}</pre>`;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 200 }, deviceScaleFactor: 1 });
  await page.setContent(html);
  await page.locator('pre').screenshot({ path: OUT });
} finally {
  await browser.close();
}
console.log(`wrote ${OUT} (${middle.length} + ${end.length} lines, demo ran ${(total / 1000).toFixed(1)} s)`);
