#!/usr/bin/env node
// The packed-consumer test: packs every public package the way npm users get it, installs the
// tarballs into a fresh project outside the workspace (no workspace links), then runs an ESM script
// that imports every package and waits for a job on the mock server, and typechecks a TypeScript
// file against the public types with moduleResolution bundler and node16.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const work = mkdtempSync(join(tmpdir(), 'bw-consumer-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
mkdirSync(tarballs);
mkdirSync(app);
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const catalog = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
const pin = (name) => {
  const m = new RegExp(`^\\s+"?${name.replace('/', '\\/')}"?:\\s*(\\S+)`, 'm').exec(catalog);
  return m ? m[1] : rootPkg.devDependencies[name];
};

const packages = [];
for (const dir of readdirSync(join(root, 'packages'))) {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  const out = run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', dir))
    .trim()
    .split('\n')
    .at(-1);
  const entries = Object.keys(pkg.exports ?? { '.': null })
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`));
  packages.push({ name: pkg.name, tarball: out, entries });
}
// What every tarball must hold for an npm user: the license, the README and every file the README
// links to (CHANGELOG.md), and dependency ranges a user's own copy can satisfy (no exact pins).
for (const p of packages) {
  const listed = run('tar', ['-tzf', p.tarball], tarballs).split('\n').filter(Boolean);
  const has = (path) => listed.includes(`package/${path}`);
  for (const required of ['LICENSE', 'README.md', 'package.json']) {
    if (!has(required)) throw new Error(`${p.name}: the tarball has no ${required}`);
  }
  const readme = run('tar', ['-xzOf', p.tarball, 'package/README.md'], tarballs);
  for (const [, target] of readme.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)) {
    const path = target.replace(/^\.\//, '');
    if (!has(path)) throw new Error(`${p.name}: README.md links to ${target}, which is not in the tarball`);
  }
  const manifest = JSON.parse(run('tar', ['-xzOf', p.tarball, 'package/package.json'], tarballs));
  for (const [dep, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    if (/^\d/.test(range)) throw new Error(`${p.name}: ${dep} is pinned to ${range}; use a range such as ^${range}`);
  }
}
console.log(`tarball contents: LICENSE, README links and dependency ranges ok in ${packages.length} packages`);

const file = (p) => `file:${p.tarball}`;
const deps = Object.fromEntries(packages.map((p) => [p.name, file(p)]));
writeFileSync(
  join(app, 'package.json'),
  JSON.stringify(
    {
      name: 'batchwatch-consumer',
      private: true,
      type: 'module',
      dependencies: {
        ...deps,
        msw: pin('msw'),
        react: pin('react'),
        'react-dom': pin('react-dom'),
        '@tanstack/react-query': pin('"@tanstack/react-query"') ?? '5.108.0',
      },
      devDependencies: {
        typescript: pin('typescript'),
        '@types/node': rootPkg.devDependencies['@types/node'],
        '@types/react': '19.3.0',
      },
      // Workspace dependencies between our packages must resolve to the tarballs too.
      overrides: deps,
    },
    null,
    2,
  ),
);
console.log(`packed ${packages.length} packages: ${packages.map((p) => p.name).join(', ')}`);
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);

const has = (name) => packages.some((p) => p.name === name);
writeFileSync(
  join(app, 'smoke.mjs'),
  `
import * as core from '@batchwatch/core';
import * as supermetrics from '@batchwatch/supermetrics-client';
import * as check from '@batchwatch/check-client';
import { createRunflowClient, runflowBatch } from '@batchwatch/runflow-client';
import * as msw from '@batchwatch/msw';
import { startMockProviderServer, script } from '@batchwatch/msw/server';
import * as cli from '@batchwatch/cli';
import * as bullmq from '@batchwatch/bullmq';
${has('@batchwatch/react') ? "import * as react from '@batchwatch/react';" : 'const react = { skipped: true };'}
for (const [name, mod] of Object.entries({ core, supermetrics, check, msw, cli, react, bullmq })) {
  if (Object.keys(mod).length === 0) throw new Error(name + ' exports nothing');
}
// @batchwatch/bullmq throws core's own ValidationError (one copy of core), before any connection.
try {
  bullmq.createFleet({ connection: 'http://127.0.0.1:1', sources: [runflowBatch(createRunflowClient({ apiKey: 'k' }))] });
  throw new Error('createFleet accepted an http:// connection');
} catch (error) {
  if (!(error instanceof core.ValidationError)) throw error;
}
// Every entry of every package's exports map loads and exports something.
for (const entry of ${JSON.stringify(packages.flatMap((p) => p.entries))}) {
  const mod = await import(entry);
  if (Object.keys(mod).length === 0) throw new Error(entry + ' exports nothing');
}
console.log('imported ${packages.reduce((n, p) => n + p.entries.length, 0)} entries');
const server = await startMockProviderServer({ seed: 3, apiKeys: { runflow: 'consumer-token' } });
try {
  const id = server.mock.addJob('runflow', 'batch', script.lifecycle({ queuedPolls: 1, progress: [0.5, 1] }));
  const client = createRunflowClient({ apiKey: 'consumer-token', baseUrl: server.urls.runflow });
  const final = await core.waitForJob(runflowBatch(client), id, { minIntervalMs: 10, initialIntervalMs: 10, timeoutMs: 10_000 });
  if (final.status !== 'succeeded') throw new Error('unexpected status ' + final.status);
  console.log('waitForJob from the packed packages:', final.status, final.progress.completed + '/' + final.progress.total);
} finally {
  await server.close();
}
`,
);
console.log(run('node', ['smoke.mjs'], app).trim());

writeFileSync(
  join(app, 'types.ts'),
  `
import { type JobSnapshot, type JobStatus, ValidationError, waitForJob, watchJob } from '@batchwatch/core';
import { jobResults, type ResultStream } from '@batchwatch/core/results';
import { verifyRunflowCallback, type RunflowBatchCallbackEvent } from '@batchwatch/runflow-client/webhooks';
import { checkBatch, createCheckClient, type CheckBatch } from '@batchwatch/check-client';
import { createRunflowClient, runflowBatch, type RunflowBatch } from '@batchwatch/runflow-client';
import { createSupermetricsClient, supermetricsQueryStatus } from '@batchwatch/supermetrics-client';
import { startMockProviderServer } from '@batchwatch/msw/server';
import { createFleet, createFleetWorker, type Fleet, FleetJobError } from '@batchwatch/bullmq';

const runflow = createRunflowClient({ apiKey: 'k' });
const fleet: Fleet = createFleet({ connection: 'redis://127.0.0.1:6379', sources: [runflowBatch(runflow), checkBatch(createCheckClient({ apiKey: 'vfy_k' }))] });
const fleetDone: Promise<JobSnapshot> = fleet.watch('runflow', 'batch', 'id').done;
void createFleetWorker;
void FleetJobError;
const snapshot: Promise<JobSnapshot<RunflowBatch>> = waitForJob(runflowBatch(runflow), 'id');
const check = createCheckClient({ apiKey: 'vfy_k' });
const watch = watchJob(checkBatch(check), 'batch_1');
const raw: Promise<CheckBatch> = watch.done.then((s) => s.raw);
const status: JobStatus = 'partially_succeeded';
const sm = createSupermetricsClient({ apiKey: 'k' });
void sm.GET('/query/status', { params: { query: { json: { schedule_id: 'abc' } } } });
void supermetricsQueryStatus(sm);
void startMockProviderServer;
const items: ResultStream<unknown> = jobResults(runflowBatch(runflow), 'id');
const event: Promise<RunflowBatchCallbackEvent> = verifyRunflowCallback('{}', {}, 'secret');
// @ts-expect-error: not a JobStatus
const wrong: JobStatus = 'done';
export { snapshot, raw, status, wrong, items, event, ValidationError, fleetDone };
`,
);
const base = {
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  target: 'ES2022',
  lib: ['ES2022', 'DOM'],
  types: ['node'],
};
for (const [label, options] of [
  ['bundler', { module: 'ESNext', moduleResolution: 'bundler' }],
  ['node16', { module: 'node16', moduleResolution: 'node16' }],
]) {
  writeFileSync(
    join(app, `tsconfig.${label}.json`),
    JSON.stringify({ compilerOptions: { ...base, ...options }, files: ['types.ts'] }),
  );
  run(join(app, 'node_modules/.bin/tsc'), ['-p', `tsconfig.${label}.json`], app);
  console.log(`tsc --noEmit (moduleResolution ${label}, skipLibCheck false): ok`);
}
// The CLI's types must compile for a consumer without Node's types (no @types/node, no skipLibCheck).
writeFileSync(
  join(app, 'cli-types.ts'),
  `
import { type CliIo, csvField, EXIT, run, type WatchSettings } from '@batchwatch/cli';
const io: CliIo = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, signal: new AbortController().signal };
const settings: Pick<WatchSettings, 'json' | 'stdout'> = { json: true, stdout: io.stdout };
export const code: Promise<number> = run(['--version'], io);
export { csvField, EXIT, settings };
`,
);
writeFileSync(
  join(app, 'tsconfig.no-node.json'),
  JSON.stringify({
    compilerOptions: { ...base, types: [], module: 'ESNext', moduleResolution: 'bundler' },
    files: ['cli-types.ts'],
  }),
);
run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.no-node.json'], app);
console.log('tsc --noEmit of @batchwatch/cli without @types/node (skipLibCheck false): ok');
console.log(run(join(app, 'node_modules/.bin/batchwatch'), ['--version'], app).trim());

// batchwatch generate from the packed CLI and codegen, as a user runs it: a client and a job kind for
// an API of their own, which compiles against the packed packages once its TODO statuses are chosen.
copyFileSync(join(root, 'packages/codegen/test/fixtures/acme.yaml'), join(app, 'acme.yaml'));
const generateArgs = [
  'generate',
  '--spec',
  'acme.yaml',
  '--out',
  'gen/acme',
  '--job',
  'GET /v2/exports/{export_id}',
  '--mock',
];
console.log(run(join(app, 'node_modules/.bin/batchwatch'), generateArgs, app).trim().split('\n')[0]);
const kindPath = join(app, 'gen/acme/export.kind.ts');
const todo = "'TODO: choose queued, running, succeeded, partially_succeeded, failed or cancelled'";
writeFileSync(kindPath, readFileSync(kindPath, 'utf8').replaceAll(todo, "'failed'"));
writeFileSync(
  join(app, 'gen/use.ts'),
  `
import { type JobSnapshot, waitForJob } from '@batchwatch/core';
import { createMockProviders } from '@batchwatch/msw';
import { type AcmeExport, createAcmeClient } from './acme/client.gen.js';
import { acmeExport } from './acme/export.kind.js';
import { acmeMock } from './acme/acme.mock.js';
export const done: Promise<JobSnapshot<AcmeExport>> = waitForJob(acmeExport(createAcmeClient({ apiKey: 'k' })), 'exp_1');
export const mock = createMockProviders({ providers: [acmeMock] });
export const id: string = mock.addJob('acme', 'export');
`,
);
for (const [label, options] of [
  ['bundler', { module: 'ESNext', moduleResolution: 'bundler' }],
  ['node16', { module: 'node16', moduleResolution: 'node16' }],
]) {
  writeFileSync(
    join(app, `tsconfig.gen.${label}.json`),
    JSON.stringify({ compilerOptions: { ...base, ...options }, files: ['gen/use.ts'] }),
  );
  run(join(app, 'node_modules/.bin/tsc'), ['-p', `tsconfig.gen.${label}.json`], app);
  console.log(`batchwatch generate output: tsc --noEmit (moduleResolution ${label}, skipLibCheck false): ok`);
}
run(join(app, 'node_modules/.bin/batchwatch'), [...generateArgs, '--check'], app);
console.log('batchwatch generate --check on its own output: ok');
rmSync(work, { recursive: true, force: true });
console.log('packed-consumer: ok');
