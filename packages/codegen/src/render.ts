// The text of the generated client (`client.gen.ts`) and of each job kind's starting point (`<kind>.kind.ts`).
import type { MappedStatus, PlannedJob } from './jobs.js';
import { deref, type Json, type SpecOperation } from './spec.js';

/** The names a provider's exports are built from. */
export interface Names {
  /** As given, e.g. `openai`: the `provider` of snapshots and errors. */
  readonly provider: string;
  /** `openai` -> `openai`, `my-api` -> `myApi`. */
  readonly camel: string;
  /** `openai` -> `Openai`, `my-api` -> `MyApi`. */
  readonly pascal: string;
  /** `openai` -> `OPENAI`, `my-api` -> `MY_API`. */
  readonly constant: string;
}

const parts = (text: string) => text.split(/[^A-Za-z0-9]+/).filter(Boolean);
const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

/** The export names of a provider (`provider` is a lower-case name such as `openai` or `my-api`). */
export function namesOf(provider: string): Names {
  const w = parts(provider).map((p) => p.toLowerCase());
  const pascal = w.map(cap).join('');
  return {
    provider,
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    pascal,
    constant: w.map((p) => p.toUpperCase()).join('_'),
  };
}

/** `text` in lines of at most `width` characters (words are never split). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
const lineComment = (text: string, indent: string) =>
  wrap(text, 100 - indent.length)
    .map((l) => `${indent}// ${l}`)
    .join('\n');
const docComment = (text: string, indent: string) =>
  [`${indent}/**`, ...wrap(text, 100 - indent.length).map((l) => `${indent} * ${l}`), `${indent} */`].join('\n');

/** Biome's import order: letters compared without case, an upper-case letter before its lower case. */
export function byName(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x === y) continue;
    const lx = x.toLowerCase();
    const ly = y.toLowerCase();
    if (lx !== ly) return lx < ly ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

const pascalOf = (text: string) => parts(text).map(cap).join('');
const q = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const key = (text: string) => (/^[A-Za-z_$][\w$]*$/.test(text) ? text : q(text));
/** A property access chain on `raw` for a dotted field: `raw.error?.message`. */
const access = (root: string, field: string) =>
  field
    .split('.')
    .reduce((out, k, i) => `${out}${i === 0 ? '' : '?'}${/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${q(k)}]`}`, root);

/** The names of one job kind's exports. */
export function jobNames(names: Names, job: PlannedJob) {
  const kindPascal = pascalOf(job.kind);
  return {
    /** `OpenaiBatch`: the raw body type. */
    raw: `${names.pascal}${kindPascal}`,
    /** `KnownOpenaiBatchStatus`: the documented statuses. */
    statuses: `Known${names.pascal}${kindPascal}Status`,
    /** `openaiBatchOperations`: the spec operations of the kind. */
    operations: `${names.camel}${kindPascal}Operations`,
    /** `openaiBatchStatusTable`. */
    table: `${names.camel}${kindPascal}StatusTable`,
    /** `openaiBatchKind`. */
    kind: `${names.camel}${kindPascal}Kind`,
    /** `openaiBatch`: the source builder. */
    source: `${names.camel}${kindPascal}`,
    /** `batch.kind.ts`. */
    file: `${job.kind.replace(/[^a-z0-9_-]/g, '-')}.kind.ts`,
  };
}

/** The spec's base URL: its first server, variables at their defaults; `''` when it names no absolute one. */
function baseUrlOf(spec: Json): string {
  const server = spec.servers?.[0];
  if (typeof server?.url !== 'string') return '';
  const url = server.url.replace(/\{([^}]+)\}/g, (m: string, name: string) => {
    const d = server.variables?.[name]?.default;
    return typeof d === 'string' ? d : m;
  });
  return /^https?:\/\/[^{}\s]+$/i.test(url) ? url.replace(/\/+$/, '') : '';
}

/** How the key is sent, from the spec's security scheme: the `authHeader` code and its doc line. */
function authOf(spec: Json, ops: readonly SpecOperation[]): { code: string; doc: string } {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: generated code, a template literal of its own
  const bearer = { code: '(key) => ({ Authorization: `Bearer ${key}` })', doc: 'in `Authorization: Bearer`' };
  const requirement = (ops.find((o) => Array.isArray(o.op.security))?.op.security ?? spec.security)?.[0];
  const name = requirement && typeof requirement === 'object' ? Object.keys(requirement)[0] : undefined;
  const scheme = name ? deref(spec, spec.components?.securitySchemes?.[name]) : undefined;
  if (!scheme)
    return {
      ...bearer,
      doc: `${bearer.doc} (the spec names no security scheme: change \`authHeader\` if the API wants another)`,
    };
  if (scheme.type === 'http' && /^basic$/i.test(String(scheme.scheme))) {
    return {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: generated code, a template literal of its own
      code: '(key) => ({ Authorization: `Basic ${btoa(key)}` })',
      doc: `in \`Authorization: Basic\` (the spec's \`${name}\`; \`apiKey\` is \`user:password\`)`,
    };
  }
  if (scheme.type === 'apiKey' && scheme.in === 'header' && typeof scheme.name === 'string') {
    return {
      code: `(key) => ({ ${q(scheme.name)}: key })`,
      doc: `in the \`${scheme.name}\` header (the spec's \`${name}\`)`,
    };
  }
  if (scheme.type === 'apiKey') {
    return {
      ...bearer,
      doc: `${bearer.doc}: the spec's \`${name}\` sends it in the ${scheme.in}, and a key never goes in a URL here; change \`authHeader\` if the API refuses a bearer`,
    };
  }
  return { ...bearer, doc: `${bearer.doc} (the spec's \`${name}\`)` };
}

const ERROR_PARSER = (names: Names) => `/**
 * Reads the API's error bodies for \`HttpError\`: \`{ error: { message, code | type, request_id } }\`,
 * \`{ message, code }\`, \`{ error: "text" }\`, \`{ detail }\` (RFC 9457) or a plain-text body.
 */
export const parse${names.pascal}Error: ErrorBodyParser = (body) => {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 500) : undefined);
  if (body === null || typeof body !== 'object') {
    const message = text(body);
    return message === undefined ? {} : { message };
  }
  const b = body as Record<string, unknown>;
  const e = (b.error !== null && typeof b.error === 'object' ? b.error : b) as Record<string, unknown>;
  const code = typeof e.code === 'number' ? String(e.code) : (text(e.code) ?? text(e.type) ?? text(e.error_code));
  const message = text(e.message) ?? text(b.error) ?? text(e.detail) ?? text(e.title) ?? text(e.error_description);
  const requestId = text(e.request_id) ?? text(e.requestId) ?? text(b.request_id) ?? text(b.requestId);
  return {
    ...(code === undefined ? {} : { code }),
    ...(message === undefined ? {} : { message }),
    ...(requestId === undefined ? {} : { requestId }),
  };
};
`;

/** The body of `client.gen.ts` (without the header). */
export function clientFor(
  spec: Json,
  names: Names,
  jobs: readonly PlannedJob[],
  ops: readonly SpecOperation[],
): string {
  const base = baseUrlOf(spec);
  const auth = authOf(spec, ops);
  const out = [
    `import {
  createRequestGuard,
  type ErrorBodyParser,
  type ProviderClientOptions,
  resolveClientOptions,
} from '@batchwatch/core/client-kit';
import createClient, { type Client } from 'openapi-fetch';
import { paramRules } from './params.gen.js';
import type { paths } from './schema.gen.js';

/** The provider name in snapshots, errors and notifications. */
export const ${names.constant} = ${q(names.provider)};

/**
 * ${base ? "The API's base URL, from the spec's `servers`: the client's default." : 'The spec names no absolute server URL: pass `baseUrl` to the client.'}
 */
export const ${names.constant}_BASE_URL: string = ${q(base)};

/** Options for {@link create${names.pascal}Client}. */
export type ${names.pascal}ClientOptions = ProviderClientOptions;

/** An openapi-fetch client typed by the spec's \`paths\`. */
export type ${names.pascal}Client = Client<paths>;

${docComment(`Creates a client. The key goes ${auth.doc}, never in a URL or an error; parameters that break the spec are refused with a \`ValidationError\` before anything is sent.`, '')}
export function create${names.pascal}Client(options: ${names.pascal}ClientOptions): ${names.pascal}Client {
  const resolved = resolveClientOptions(options, {
    baseUrl: ${names.constant}_BASE_URL,
    authHeader: ${auth.code},
  });
  const client = createClient<paths>(resolved);
  client.use(createRequestGuard(paramRules));
  return client;
}
`,
    ERROR_PARSER(names),
  ];
  for (const job of jobs) {
    const n = jobNames(names, job);
    const status = /^\d+$/.test(job.responseStatus) ? job.responseStatus : q(job.responseStatus);
    const values = job.statuses.map(q).join(' | ');
    out.push(`/** A ${job.kind} as \`${job.operation}\` returns it. */
export type ${n.raw} = paths[${q(job.path)}][${q(job.method.toLowerCase())}]['responses'][${status}]['content'][${q(job.responseType)}];

/** ${job.statuses.length > 0 ? `The documented values of \`${job.statusField}\` in \`${job.operation}\`: the keys of its status table.` : `\`${job.statusField}\` of \`${job.operation}\` has no enum in the spec: any string.`} */
export type ${n.statuses} = ${values || 'string'};

/** The spec operations of a ${job.kind}: its status read, and its create and cancel when the spec has them. */
export const ${n.operations} = {
  read: ${q(job.operation)},${job.create ? `\n  create: ${q(`${job.create.method} ${job.create.path}`)},` : ''}${job.cancel ? `\n  cancel: ${q(`${job.cancel.method} ${job.cancel.path}`)},` : ''}
} as const;
`);
  }
  return out.join('\n');
}

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
  if (entries.length > 0) lines.push(`  timestamps: { ${entries.map(([k, f]) => `${k}: ${q(f)}`).join(', ')} },`);
  if (skipped.length > 0) {
    lines.push(
      lineComment(
        `Not read as timestamps: ${skipped.join(', ')} (not strings; snapshots carry ISO 8601 strings).`,
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

/** Letters of a regex character class such as `a-z0-9_`; `undefined` for anything fancier. */
function alphabetOf(cls: string): string | undefined {
  let out = '';
  for (let i = 0; i < cls.length; i++) {
    const c = cls[i] ?? '';
    const to = cls[i + 2];
    if (cls[i + 1] === '-' && to !== undefined) {
      for (let code = c.charCodeAt(0); code <= to.charCodeAt(0); code++) out += String.fromCharCode(code);
      i += 2;
    } else if (/[\w-]/.test(c)) out += c;
    else return undefined;
  }
  return out === '' ? undefined : out;
}

/** A `newId` whose ids follow `pattern` when it is a prefix and one character class (`^exp_[a-z0-9]+$`). */
function newIdFor(idParam: string, pattern: string): string {
  const m = /^\^([\w-]*)\[([^\]^]+)\](\+|\*|\{(\d+)(,\d*)?\})\$$/.exec(pattern);
  const alphabet = m?.[2] === undefined ? undefined : alphabetOf(m[2]);
  if (!m || alphabet === undefined) {
    return `      // The spec's ${idParam} rule is ${pattern}: the mock refuses to start until newId makes ids that follow it.
      newId: (random) => \`TODO-\${Math.floor(random() * 1e9)}\`,`;
  }
  const length = m[4] === undefined ? 16 : Number(m[4]);
  return `      // Ids that follow the spec's ${idParam} rule, ${pattern}.
      newId: (random) =>
        \`${m[1]}\${Array.from({ length: ${length} }, () => ${q(alphabet)}[Math.floor(random() * ${alphabet.length})]).join('')}\`,`;
}

/** The text of `<provider>.mock.ts`: the jobs' mock provider for tests, a starting point the user owns. */
export function mockFor(names: Names, jobs: readonly PlannedJob[]): string {
  const kinds = jobs.map((job) => jobNames(names, job));
  const from = new Map<string, string[]>([
    ['./client.gen.js', [names.constant, `${names.constant}_BASE_URL`, ...kinds.map((n) => n.operations)]],
  ]);
  for (const n of kinds) from.set(`./${n.file.replace(/\.ts$/, '.js')}`, [n.kind]);
  const imports = [...from]
    .sort(([a], [b]) => byName(a, b))
    .map(([path, list]) => `import { ${[...list].sort(byName).join(', ')} } from '${path}';`);
  const entries = jobs.map((job, i) => {
    const n = kinds[i] ?? jobNames(names, job);
    const newId = job.idPattern === undefined ? '' : `\n${newIdFor(job.idParam, job.idPattern)}`;
    return `    {\n      kind: ${n.kind},\n      operations: ${n.operations},${newId}\n      // body: (job) => ({ ... }), // the fields the description does not read (see the guide)\n    },`;
  });
  return `// The ${names.provider} mock for your tests: @batchwatch/msw serves the job kinds from their descriptions
// (statuses, counts, create, cancel, scripted lifecycles and faults). Written once by \`batchwatch generate
// --mock\`; it is yours now. Import it from tests only: it needs @batchwatch/msw (npm i -D @batchwatch/msw msw@^2).
import { defineMockProvider } from '@batchwatch/msw';
${imports.join('\n')}

/**
 * ${names.provider} as the mock serves it: \`createMockProviders({ providers: [${names.camel}Mock] })\`, then
 * \`mockProviderHandlers(mock, ${names.camel}Mock)\` for msw, or \`startMockProviderServer({ providers: [${names.camel}Mock] })\`.
 */
export const ${names.camel}Mock = defineMockProvider({
  name: ${names.constant},
  baseUrl: ${names.constant}_BASE_URL,
  kinds: [
${entries.join('\n')}
  ],
});
`;
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
