// The programs the test suite needs besides Node: Debian's chromium (the dashboard's headless
// browser test) and redis-server (the fleet tests). Shared by scripts/ensure-services.mjs, which
// installs what is missing before the tests, and scripts/test-summary.mjs, which fails the run
// loudly when one is still missing.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** @typedef {{ name: string, debian: string, env: string, usedBy: string }} Service */

/** @type {Service[]} */
export const SERVICES = [
  {
    name: 'chromium',
    debian: 'chromium',
    env: 'BATCHWATCH_CHROMIUM',
    usedBy: "the dashboard's headless browser test (examples/dashboard)",
  },
  {
    name: 'redis-server',
    debian: 'redis-server',
    env: 'BATCHWATCH_REDIS_SERVER',
    usedBy: 'the fleet tests that run a real Redis',
  },
];

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Finds an executable by name on `env.PATH`. */
export function which(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && executable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * Where a service's program is: `env[service.env]` when set (it must exist), else the program of
 * that name on PATH; `null` when missing.
 */
export function locate(service, env = process.env) {
  const override = env[service.env];
  if (override) return executable(override) ? override : null;
  return which(service.name, env);
}

/** The services that are missing, with why each matters. */
export function missingServices(env = process.env) {
  return SERVICES.filter((service) => locate(service, env) === null);
}

/** `BATCHWATCH_CHROMIUM=/usr/bin/chromium ...`: every located service, for the test processes. */
export function serviceEnv(env = process.env) {
  const out = {};
  for (const service of SERVICES) {
    const path = locate(service, env);
    if (path) out[service.env] = path;
  }
  return out;
}
