#!/usr/bin/env node
// Makes sure the programs the tests need are installed (scripts/lib/services.mjs): installs the
// missing ones with apt-get when this machine can (root, or sudo without a password), saying so on
// one visible line. When it cannot, it says so loudly and leaves the failure to the test summary,
// which exits non-zero: a run never passes with a hole. BATCHWATCH_NO_INSTALL=1 never installs.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locate, missingServices, which } from './lib/services.mjs';

const say = (line) => console.log(`ensure-services: ${line}`);

/** How to run apt-get here: directly as root, through `sudo -n`, or not at all. */
function aptCommand(env) {
  if (env.BATCHWATCH_NO_INSTALL === '1') return { why: 'BATCHWATCH_NO_INSTALL=1' };
  const apt = which('apt-get', env);
  if (!apt) return { why: 'no apt-get on this machine' };
  if (process.getuid?.() === 0) return { argv: [apt] };
  const sudo = which('sudo', env);
  if (sudo && spawnSync(sudo, ['-n', 'true'], { env, stdio: 'ignore' }).status === 0)
    return { argv: [sudo, '-n', apt] };
  return { why: 'not root and no password-less sudo' };
}

export function ensureServices(env = process.env) {
  const missing = missingServices(env);
  if (missing.length === 0) return [];
  const apt = aptCommand(env);
  if (apt.argv) {
    const packages = missing.map((s) => s.debian);
    for (const s of missing) say(`${s.name} is missing (needed by ${s.usedBy})`);
    say(`installing Debian package${packages.length > 1 ? 's' : ''} ${packages.join(' ')} with apt-get (about 30 s)`);
    const run = (args) =>
      spawnSync(apt.argv[0], [...apt.argv.slice(1), ...args], {
        env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
        stdio: ['ignore', 'ignore', 'inherit'],
      }).status;
    const status = run(['update', '-qq']) === 0 ? run(['install', '-y', '-qq', ...packages]) : 1;
    if (status !== 0) say(`apt-get failed (exit ${status})`);
  }
  const still = missingServices(env);
  for (const s of missing.filter((m) => !still.includes(m))) say(`${s.name} installed: ${locate(s, env)}`);
  for (const s of still) {
    console.log(
      `ensure-services: MISSING ${s.name}: cannot install it here (${apt.why ?? 'apt-get did not install it'}); ` +
        `${s.usedBy} will fail. Install Debian's ${s.debian} (apt-get install -y ${s.debian}) or set ${s.env} to its path.`,
    );
  }
  return still;
}

if (fileURLToPath(import.meta.url) === resolve(process.argv[1] ?? '')) ensureServices();
