// A redis-server for the fleet benchmark: its own process on a free 127.0.0.1 port, persistence off,
// stopped by PID. Fails loudly when redis-server is not installed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts redis-server (with `extraArgs`, e.g. config); returns `{ url, pid, client, info(section), stop() }`. */
export async function startRedisServer(extraArgs = []) {
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  if (!bin) throw new Error('redis-server not found: install it (Debian: apt-get install -y redis-server)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-redis-'));
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  client.on('error', () => {});
  const started = Date.now();
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch {
      client.disconnect();
      if (Date.now() - started > 10_000) throw new Error(`redis-server did not answer on ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** `INFO <section>` as numbers where they are numbers. */
  const info = async (section) => {
    const text = await client.info(section);
    const out = {};
    for (const line of text.split('\r\n')) {
      const [k, v] = line.split(':');
      if (v !== undefined) out[k] = Number.isNaN(Number(v)) ? v : Number(v);
    }
    return out;
  };
  return {
    url,
    pid: child.pid,
    client,
    info,
    async stop() {
      client.disconnect();
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
