// The text of a job kind's starting point, `<kind>.kind.ts`: its description for @batchwatch/core with
// the status table prefilled by name, the counts, timestamps, failure and cancel guessed from the spec.
import type { PlannedJob } from './jobs.js';
import { jobNames, type Names } from './names.js';
import { access, byName, key, lineComment, q } from './render-text.js';
import type { SpecOperation } from './spec.js';
import type { MappedStatus } from './statuses.js';

/** What a TODO in a status table says; not a JobStatus, so it fails typecheck until replaced. */
export const TODO_STATUS = 'TODO: choose queued, running, succeeded, partially_succeeded, failed or cancelled';

function tableFor(job: PlannedJob): string {
  if (job.mapping.length === 0) {
    return `  // TODO: the spec documents no values for \`${job.statusField}\`: list each status the API sends and its JobStatus.
  TODO: 'TODO: list the statuses the API sends',`;
  }
  return job.mapping
    .map(([raw, status]: readonly [string, MappedStatus | undefined]) => `  ${key(raw)}: ${q(status ?? TODO_STATUS)},`)
    .join('\n');
}

function progressFor(job: PlannedJob): string {
  const p = job.progress;
  if (!p) {
    return `  // No counts found in the response: the job shows 0 done and an unknown total until it ends
  // (see "No progress counts" in the guide).
  progress: { completed: [] },`;
  }
  const list = (fields: readonly string[]) =>
    fields.length === 1 ? q(fields[0] ?? '') : `[${fields.map(q).join(', ')}]`;
  const lines = [`    completed: ${list(p.completed)},`];
  if (p.failed.length > 0) lines.push(`    failed: ${list(p.failed)},`);
  if (p.total) lines.push(`    total: ${q(p.total)},`);
  return `${lineComment(`Guessed from the field names: ${p.note} Check it against the API's docs.`, '  ')}
  progress: {
${lines.join('\n')}
  },`;
}

function timestampsFor(job: PlannedJob): string {
  const { fields, skipped } = job.timestamps;
  const entries = Object.entries(fields);
  const lines: string[] = [];
  const field = (f: string[]) => (f.length === 1 ? q(f[0] as string) : `[${f.map(q).join(', ')}]`);
  if (entries.length > 0) lines.push(`  timestamps: { ${entries.map(([k, f]) => `${k}: ${field(f)}`).join(', ')} },`);
  if (skipped.length > 0) {
    lines.push(
      lineComment(
        `Not read as timestamps: ${skipped.join(', ')} (neither strings nor numbers; snapshots carry ISO 8601 strings).`,
        '  ',
      ),
    );
  }
  return lines.join('\n');
}

function failureFor(job: PlannedJob): string {
  const message = job.failureMessage
    ? `${access('raw', job.failureMessage)} || \`the ${job.kind} ended \${rawStatus}\``
    : `\`the ${job.kind} ended \${rawStatus}\``;
  const value = `{ code: rawStatus, message: ${message} }`;
  const body =
    value.length > 80
      ? `status === 'failed'\n      ? ${value}\n      : undefined`
      : `status === 'failed' ? ${value} : undefined`;
  return `  failure: (${job.failureMessage ? 'raw' : '_raw'}, status, rawStatus) =>\n    ${body},`;
}

function callFor(op: SpecOperation, idParam: string): string {
  return `call(client.${op.method}(${q(op.path)}, { params: { path: { ${key(idParam)}: id } }, signal }))`;
}

/** The text of `<kind>.kind.ts`: the job kind's description, a starting point the user owns. */
export function kindFor(names: Names, job: PlannedJob, read: SpecOperation): string {
  const n = jobNames(names, job);
  const cancelIdParam = job.cancel?.path.match(/\{([^}]+)\}/)?.[1] ?? job.idParam;
  const todos = job.mapping.filter(([, s]) => s === undefined).length + (job.mapping.length === 0 ? 1 : 0);
  const imports = [n.statuses, names.constant, n.raw, `${names.pascal}Client`, `parse${names.pascal}Error`]
    .sort(byName)
    .map((name) => (name === names.constant || name.startsWith('parse') ? name : `type ${name}`));
  return `// The ${names.provider} ${job.kind} job kind: how batchwatch reads one ${job.kind}. Written once by
// \`batchwatch generate\` as a starting point; it is yours now: later runs never overwrite it (delete it
// to get a fresh one). ${todos > 0 ? `The ${todos} TODO${todos > 1 ? 's' : ''} below fail${todos > 1 ? '' : 's'} typecheck until you choose.` : 'Check each guess against the API docs.'}
import type { JobSource } from '@batchwatch/core';
import { createJobSource, type JobKind, type StatusTable } from '@batchwatch/core/client-kit';
import {
${imports.map((i) => `  ${i},`).join('\n')}
} from './client.gen.js';
import { paramRules } from './params.gen.js';

/**
 * Every documented \`${job.statusField}\` of \`${job.operation}\` and its JobStatus: \`queued\` (accepted,
 * not started), \`running\`, or an end: \`succeeded\`, \`partially_succeeded\` (some items failed),
 * \`failed\` or \`cancelled\`. A status the spec gains fails typecheck here; one it never documented
 * reads as \`unknown\` (not an end: polling goes on).
 */
export const ${n.table}: StatusTable<${n.statuses}> = {
${tableFor(job)}
};

/** ${names.provider} ${job.kind} jobs: \`${job.operation}\`${job.cancel ? `; cancel: \`${job.cancel.method} ${job.cancel.path}\`` : ''}. */
export const ${n.kind}: JobKind<${names.pascal}Client, ${n.raw}> = {
  provider: ${names.constant},
  kind: ${q(job.kind)},
  operation: ${q(job.operation)},
  idParam: ${q(job.idParam)},
  paramRules,
  parseError: parse${names.pascal}Error,
  read: ({ client, signal, call }, id) =>
    ${callFor(read, job.idParam)},
  status: { field: ${q(job.statusField)}, table: ${n.table} },
${[progressFor(job), timestampsFor(job), failureFor(job)].filter(Boolean).join('\n')}
${
  job.cancel
    ? `  cancel: ({ client, signal, call }, id) =>
    ${callFor(job.cancel, cancelIdParam)},`
    : '  // No cancel found (POST <path>/cancel or POST <path>:cancel): add `cancel(request, id)` if the API has one.'
}
};

/** A job source for ${names.provider} ${job.kind} jobs: \`waitForJob(${n.source}(client), id)\`, \`watchJob\`, \`useBatch\`... */
export function ${n.source}(client: ${names.pascal}Client): JobSource<${n.raw}> {
  return createJobSource(${n.kind}, client);
}
`;
}
