// The spec's types as TypeScript, by openapi-typescript: `paths`, `components`, `operations`, and a
// `Known<Name>` union for every component-level open enum.
import openapiTS, { astToString, type OpenAPI3, STRING } from 'openapi-typescript';
import type { Json } from './spec.js';

// A parameter sent as JSON (`content: application/json`, Supermetrics' `json=`) is typed as its schema:
// the client's querySerializer JSON-encodes it, so callers pass an object, not a pre-encoded string.
function typeJsonParamsAsObjects(doc: Json): Json {
  const fix = (p: Json | undefined) => {
    const schema = p?.content?.['application/json']?.schema;
    if (p && schema && !p.schema) {
      p.schema = schema;
      delete p.content;
    }
  };
  for (const param of Object.values<Json>(doc.components?.parameters ?? {})) fix(param);
  for (const item of Object.values<Json>(doc.paths ?? {})) {
    for (const p of item?.parameters ?? []) fix(p);
    for (const op of Object.values<unknown>(item ?? {})) {
      if (op && typeof op === 'object' && Array.isArray((op as Json).parameters)) (op as Json).parameters.forEach(fix);
    }
  }
  return doc;
}

// `anyOf: [{ enum: [...] }, { type: string }]` is an open enum: any string is valid. It is typed `string`
// (openapi-fetch's Readable<T> mangles the `'a' | (string & {})` trick into an object type), and each
// component-level open enum also gets an exported `Known<Name>` union of its documented values.
function openEnumCollector(doc: Json) {
  const known = new Map<string, unknown[]>();
  const transform = (schema: Json, options: { path?: string }) => {
    if (!Array.isArray(schema.anyOf) || schema.anyOf.length !== 2) return undefined;
    const values = schema.anyOf.find((s: Json) => Array.isArray(s.enum));
    const open = schema.anyOf.find((s: Json) => s.type === 'string' && !s.enum);
    if (!values || !open) return undefined;
    const m = /^#\/components\/schemas\/([A-Za-z0-9_]+)$/.exec(options.path ?? '');
    // Only a component that *is* the open enum gets a name (nested ones report their parent's path).
    if (m?.[1] && doc.components?.schemas?.[m[1]] === schema) known.set(m[1], values.enum);
    return STRING;
  };
  const declarations = () =>
    [...known.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([name, values]) =>
          `/** The documented values of the open enum \`${name}\`; the provider may send any other string. */\n` +
          `export type Known${name} = ${values.map((v) => JSON.stringify(v)).join(' | ')};\n`,
      )
      .join('\n');
  return { transform, declarations };
}

const ROOT_DOCS: Record<string, string> = {
  paths: 'Every path of the spec: its operations by HTTP method.',
  webhooks: 'The requests the provider sends to your endpoints.',
  components: 'Reusable schemas, parameters, responses and headers of the spec.',
  $defs: 'JSON Schema `$defs` of the spec (none).',
  operations: 'Every operation of the spec by `operationId`: parameters, request body and responses.',
};

// openapi-typescript emits the root interfaces without comments; document them for the API reference.
function documentRoots(code: string): string {
  return code.replace(
    /^export (interface|type) (paths|webhooks|components|\$defs|operations)\b/gm,
    (m, _kind: string, name: string) => `/** ${ROOT_DOCS[name]} */\n${m}`,
  );
}

/** The body of `schema.gen.ts` for a spec (without the header). */
export async function typesFor(doc: Json): Promise<string> {
  const copy = typeJsonParamsAsObjects(structuredClone(doc));
  const openEnums = openEnumCollector(copy);
  const ast = await openapiTS(copy as OpenAPI3, {
    transform: openEnums.transform as never,
    // Request fields with a default stay optional for callers; free-form objects are readable.
    defaultNonNullable: false,
    emptyObjectsUnknown: true,
  });
  return `${documentRoots(astToString(ast))}\n${openEnums.declarations()}`;
}
