// Helpers shared by the benchmarks: arguments, seeded randomness, statistics, child processes.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';

/** `--quick`, `--out <file>` and `--name value` flags of a benchmark script. */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = { quick: false, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a.startsWith('--')) {
      const [key, inline] = a.slice(2).split('=', 2);
      const value = inline ?? (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : 'true');
      args[key.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = value;
    }
  }
  return args;
}

/** Writes a benchmark's result where run.mjs asked for it (`--out`), or prints it. */
export function emit(args, result) {
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (args.out) writeFileSync(args.out, text);
  else process.stdout.write(text);
}

/** Progress lines go to stderr, so stdout stays machine-readable. */
export const log = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);

/** A seeded PRNG: the same seed gives the same job set on every run (the mock kit's own generator). */
export { seededRandom as mulberry32 } from '@batchwatch/msw';

/** The `p`-th percentile (0..100) of `values`, by linear interpolation; `null` for no values. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export const median = (values) => percentile(values, 50);
export const mean = (values) => (values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length);
export const sum = (values) => values.reduce((s, v) => s + v, 0);

/** Rounds for reports: `digits` decimals, `null` kept. */
export const round = (value, digits = 2) =>
  value === null || value === undefined || Number.isNaN(value) ? null : Number(value.toFixed(digits));

/** `a / b`, or `null` when `b` is 0 or missing. */
export const ratio = (a, b) => (a === null || b === null || b === undefined || b === 0 ? null : a / b);

/** CPU time of this process in ms (user + system) since `since` (a `process.cpuUsage()` value). */
export function cpuMs(since) {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
}

/** Active `setTimeout`/`setInterval` handles of this process. */
export function timersAlive() {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** Forces a full GC (the process must run with `--expose-gc`) and returns `heapUsed` in bytes. */
export async function settledHeap() {
  if (typeof globalThis.gc !== 'function') throw new Error('run this benchmark with node --expose-gc');
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `script` as a child Node process with an IPC channel. Returns the child, a `request`
 * function that sends a message and waits for the reply with the same `id`, and `stop()`.
 * Messages the child sends without an `id` go to `onEvent`.
 */
export async function startChild(script, { args = [], execArgv = [], onEvent = () => {} } = {}) {
  const child = fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 1;
  child.on('message', (message) => {
    if (message && message.id !== undefined && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(message.error));
      else resolve(message.result);
    } else onEvent(message);
  });
  child.on('exit', (code) => {
    for (const { reject } of pending.values()) reject(new Error(`child ${script} exited with ${code}`));
    pending.clear();
  });
  const request = (type, payload = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, type, ...payload });
    });
  await request('ping');
  return {
    child,
    request,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      try {
        await request('stop');
      } catch {}
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The child side of {@link startChild}: answers `{ id, type, ...payload }` messages with
 * `handlers[type](payload)`; `stop` runs `handlers.stop` and exits.
 */
export function serveParent(handlers) {
  process.on('message', async (message) => {
    const { id, type, ...payload } = message;
    try {
      const handler = type === 'ping' ? () => 'pong' : handlers[type];
      if (!handler) throw new Error(`unknown request ${type}`);
      const result = await handler(payload);
      process.send({ id, result: result ?? null });
      if (type === 'stop') {
        process.disconnect();
        setImmediate(() => process.exit(0));
      }
    } catch (error) {
      process.send({ id, error: error instanceof Error ? error.stack : String(error) });
    }
  });
}
