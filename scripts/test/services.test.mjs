// pnpm test on a fresh machine (issue 18, point 1): the programs the tests need are installed
// when missing and the machine can, and a run where one is still missing fails loudly. apt-get
// and sudo are stand-ins in a temp folder: nothing is installed on this machine.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const scripts = fileURLToPath(new URL('..', import.meta.url));
let dir;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-services-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const script = (name, body) => {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
};
/** A stand-in apt-get that logs its arguments and "installs" each package as an executable stub. */
const fakeApt = () =>
  script(
    'apt-get',
    `echo "$@" >> "${dir}/apt.log"
if [ "$1" = install ]; then
  for p in "$@"; do case "$p" in -*|install) ;; *) printf '#!/bin/sh\\n' > "${dir}/$p"; /bin/chmod +x "${dir}/$p";; esac; done
fi`,
  );
const node = (file, args = [], env = {}) =>
  spawnSync(process.execPath, [join(scripts, file), ...args], {
    cwd: dir,
    encoding: 'utf8',
    // Only the temp folder on PATH: no chromium, no redis-server, no real apt-get.
    env: { PATH: dir, ...env },
  });
const passing = () => {
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ numPassedTests: 3, numFailedTests: 0, testResults: [] }));
  return 'results.json';
};

describe('ensure-services', () => {
  it('should install missing chromium and redis-server with apt-get, saying so', () => {
    fakeApt();
    script('sudo', 'shift; exec "$@"');
    const run = node('ensure-services.mjs');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('ensure-services: chromium is missing');
    expect(run.stdout).toContain('installing Debian packages chromium redis-server with apt-get');
    expect(run.stdout).toContain(`chromium installed: ${dir}/chromium`);
    expect(run.stdout).toContain(`redis-server installed: ${dir}/redis-server`);
    expect(readFileSync(join(dir, 'apt.log'), 'utf8').trim().split('\n')).toEqual([
      'update -qq',
      'install -y -qq chromium redis-server',
    ]);
  });

  it('should print nothing and install nothing when everything is there', () => {
    fakeApt();
    script('chromium', 'true');
    script('redis-server', 'true');
    const run = node('ensure-services.mjs');
    expect(run.stdout).toBe('');
    expect(() => readFileSync(join(dir, 'apt.log'))).toThrow();
  });

  it('should say loudly what is missing when it cannot install, and leave the failure to the summary', () => {
    script('chromium', 'true');
    const run = node('ensure-services.mjs');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('ensure-services: MISSING redis-server: cannot install it here (no apt-get');
    expect(run.stdout).not.toContain('chromium');
  });

  it('should never install with BATCHWATCH_NO_INSTALL=1', () => {
    fakeApt();
    const run = node('ensure-services.mjs', [], { BATCHWATCH_NO_INSTALL: '1' });
    expect(run.stdout).toContain('MISSING chromium: cannot install it here (BATCHWATCH_NO_INSTALL=1)');
    expect(() => readFileSync(join(dir, 'apt.log'))).toThrow();
  });

  it('should honour BATCHWATCH_CHROMIUM and BATCHWATCH_REDIS_SERVER, and treat a wrong path as missing', () => {
    script('my-chrome', 'true');
    script('my-redis', 'true');
    const ok = node('ensure-services.mjs', [], {
      BATCHWATCH_CHROMIUM: join(dir, 'my-chrome'),
      BATCHWATCH_REDIS_SERVER: join(dir, 'my-redis'),
    });
    expect(ok.stdout).toBe('');
    const wrong = node('ensure-services.mjs', [], {
      BATCHWATCH_CHROMIUM: join(dir, 'nope'),
      BATCHWATCH_REDIS_SERVER: join(dir, 'my-redis'),
    });
    expect(wrong.stdout).toContain('MISSING chromium');
  });
});

describe('test-summary', () => {
  it('should fail a run whose tests all passed when a service is missing, loudly, before the closing line', () => {
    script('chromium', 'true');
    const run = node('test-summary.mjs', [passing()]);
    expect(run.status).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('3 passed, 1 failed, 0 skipped');
    expect(lines.at(-2)).toMatch(/^MISSING SERVICE: redis-server is not installed, so the fleet tests/);
  });

  it('should pass a run whose tests passed when every service is there', () => {
    script('chromium', 'true');
    script('redis-server', 'true');
    const run = node('test-summary.mjs', [passing()]);
    expect(run.stdout).toBe('3 passed, 0 failed, 0 skipped\n');
    expect(run.status).toBe(0);
  });

  it('should fail when no report was written', () => {
    script('chromium', 'true');
    script('redis-server', 'true');
    const run = node('test-summary.mjs', ['missing.json']);
    expect(run.status).toBe(1);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
  });
});
