// The text of the generated client, `client.gen.ts`: the openapi-fetch client with its auth and
// request guard, the error parser, and per job its raw type, its statuses and its operations.
import type { PlannedJob } from './jobs.js';
import { jobNames, type Names } from './names.js';
import { docComment, q } from './render-text.js';
import { deref, type Json, type SpecOperation } from './spec.js';

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
