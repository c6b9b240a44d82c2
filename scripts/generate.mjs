#!/usr/bin/env node
// Regenerates packages/<provider>-client/src/generated/schema.gen.ts from specs/<provider>/openapi.yaml,
// as listed in specs/redocly.yaml. `--check` writes nothing and exits 1 when a committed file differs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, STRING } from 'openapi-typescript';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const configArg = process.argv.find((a) => a.startsWith('--config='));
const configPath = configArg ? resolve(configArg.slice('--config='.length)) : resolve(root, 'specs/redocly.yaml');
const config = parse(readFileSync(configPath, 'utf8'));

// A parameter sent as JSON (`content: application/json`, Supermetrics' `json=`) is typed as its schema:
// the client's querySerializer JSON-encodes it, so callers pass an object, not a pre-encoded string.
function typeJsonParamsAsObjects(doc) {
  const fix = (p) => {
    const schema = p?.content?.['application/json']?.schema;
    if (schema && !p.schema) {
      p.schema = schema;
      delete p.content;
    }
  };
  for (const param of Object.values(doc.components?.parameters ?? {})) fix(param);
  for (const item of Object.values(doc.paths ?? {})) {
    for (const p of item.parameters ?? []) fix(p);
    for (const op of Object.values(item)) {
      if (op && typeof op === 'object' && Array.isArray(op.parameters)) op.parameters.forEach(fix);
    }
  }
  return doc;
}

// `anyOf: [{ enum: [...] }, { type: string }]` is an open enum: any string is valid. It is typed `string`
// (openapi-fetch's Readable<T> mangles the `'a' | (string & {})` trick into an object type), and each
// component-level open enum also gets an exported `Known<Name>` union of its documented values.
function openEnumCollector(doc) {
  const known = new Map();
  const transform = (schema, options) => {
    if (!Array.isArray(schema.anyOf) || schema.anyOf.length !== 2) return undefined;
    const values = schema.anyOf.find((s) => Array.isArray(s.enum));
    const open = schema.anyOf.find((s) => s.type === 'string' && !s.enum);
    if (!values || !open) return undefined;
    const m = /^#\/components\/schemas\/([A-Za-z0-9_]+)$/.exec(options.path ?? '');
    // Only a component that *is* the open enum gets a name (nested ones report their parent's path).
    if (m && doc.components?.schemas?.[m[1]] === schema) known.set(m[1], values.enum);
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

function deref(doc, node, seen = new Set()) {
  if (!node || typeof node !== 'object' || !node.$ref) return node;
  if (seen.has(node.$ref)) return {};
  seen.add(node.$ref);
  const target = node.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  return deref(doc, target, seen);
}

const KEEP = ['type', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'format', 'enum', 'required'];

// The subset of a parameter's JSON Schema that the client checks before sending (see ParamSchema in core).
function paramSchema(doc, raw) {
  const schema = deref(doc, raw);
  if (!schema || typeof schema !== 'object') return {};
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    // An open enum accepts any string; other unions are not checked.
    const open = (schema.anyOf ?? schema.oneOf).map((s) => deref(doc, s)).find((s) => s.type === 'string' && !s.enum);
    return open ? { type: 'string' } : {};
  }
  const out = {};
  for (const key of KEEP) if (schema[key] !== undefined) out[key] = schema[key];
  // Only `uuid` is checked (see describeSchema in core's client-kit); `int32` and the like say nothing more than min/max.
  if (out.format !== undefined && out.format !== 'uuid') delete out.format;
  if (schema.properties) {
    out.properties = {};
    for (const [name, sub] of Object.entries(schema.properties)) out.properties[name] = paramSchema(doc, sub);
  }
  return out;
}

function paramRules(doc) {
  const rules = {};
  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const item = deref(doc, rawItem);
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const list = [];
      for (const rawParam of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
        const p = deref(doc, rawParam);
        if (!['path', 'query', 'header'].includes(p.in)) continue;
        const schema = p.schema ?? p.content?.['application/json']?.schema;
        const rule = { in: p.in, name: p.name, schema: paramSchema(doc, schema) };
        if (p.required) rule.required = true;
        list.push(rule);
      }
      if (list.length > 0) rules[`${method.toUpperCase()} ${path}`] = list;
    }
  }
  return rules;
}

const ROOT_DOCS = {
  paths: 'Every path of the spec: its operations by HTTP method.',
  webhooks: 'The requests the provider sends to your endpoints.',
  components: 'Reusable schemas, parameters, responses and headers of the spec.',
  $defs: 'JSON Schema `$defs` of the spec (none).',
  operations: 'Every operation of the spec by `operationId`: parameters, request body and responses.',
};

// openapi-typescript emits the root interfaces without comments; document them for the API reference.
function documentRoots(code) {
  return code.replace(
    /^export (interface|type) (paths|webhooks|components|\$defs|operations)\b/gm,
    (m, _kind, name) => `/** ${ROOT_DOCS[name]} */\n${m}`,
  );
}

let drift = 0;
for (const [name, api] of Object.entries(config.apis)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const specPath = resolve(dirname(configPath), api.root);
  const outPath = resolve(dirname(configPath), api['x-openapi-ts'].output);
  const specText = readFileSync(specPath, 'utf8');
  const hash = createHash('sha256').update(specText).digest('hex');
  const doc = typeJsonParamsAsObjects(parse(specText));
  const openEnums = openEnumCollector(doc);
  const ast = await openapiTS(doc, {
    transform: openEnums.transform,
    // Request fields with a default stay optional for callers; free-form objects are readable.
    defaultNonNullable: false,
    emptyObjectsUnknown: true,
  });
  const header = [
    '/**',
    ' * This file was auto-generated by openapi-typescript (via scripts/generate.mjs).',
    ' * Do not make direct changes to the file: edit the spec and run `pnpm generate`.',
    ` * Spec: ${relative(root, specPath)}`,
    ` * Spec sha256: ${hash}`,
    ' */',
    '',
  ].join('\n');
  const rulesPath = resolve(dirname(outPath), 'params.gen.ts');
  const rulesText = [
    header,
    "import type { ParamRules } from '@batchwatch/core/client-kit';",
    '',
    '/** Parameter constraints from the spec, checked before a request is sent. */',
    `export const paramRules: ParamRules = ${JSON.stringify(paramRules(parse(specText)), null, 2)};`,
    '',
  ].join('\n');
  for (const [path, text] of [
    [outPath, `${header}${documentRoots(astToString(ast))}\n${openEnums.declarations()}`],
    [rulesPath, rulesText],
  ]) {
    const rel = relative(root, path);
    if (check) {
      const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
      if (current !== text) {
        drift++;
        console.error(`✗ ${rel} is out of date with ${relative(root, specPath)}`);
      } else {
        console.log(`✓ ${rel}`);
      }
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      console.log(`wrote ${rel}`);
    }
  }
}
if (drift > 0) {
  console.error('Generated clients differ from the specs. Fix: run `pnpm generate` and commit the changed files.');
  process.exit(1);
}
