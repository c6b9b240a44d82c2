// Shared by the CLI end-to-end tests: spawn the built binary, and a mock server with keys and base URLs.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type MockProviderServer, startMockProviderServer } from '@batchwatch/msw/server';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const KEYS = { supermetrics: 'sm_test_key', runflow: 'rf_test_token', check: 'vfy_test_key' };

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `batchwatch <args>` with only PATH and `env` in its environment. */
export function cli(
  args: string[],
  env: Record<string, string> = {},
  onSpawn?: (child: ChildProcess) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onSpawn?.(child);
  });
}

/** A mock server that checks {@link KEYS}, the env that carries them, and `--base-url` flags for it. */
export async function startCliServer(): Promise<{
  server: MockProviderServer;
  env: Record<string, string>;
  baseUrls: string[];
}> {
  const server = await startMockProviderServer({ seed: 1, apiKeys: KEYS });
  const env = { SUPERMETRICS_API_KEY: KEYS.supermetrics, RUNFLOW_API_TOKEN: KEYS.runflow, CHECK_API_KEY: KEYS.check };
  const baseUrls = Object.entries(server.urls).flatMap(([p, url]) => ['--base-url', `${p}=${url}`]);
  return { server, env, baseUrls };
}
