// Reading an OpenAPI 3.x document: loading it (with the errors a user can act on), following
// `$ref`s, and finding an operation's response schema and the documented values of a field.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** A parsed spec, or any part of one: plain JSON. */
// biome-ignore lint/suspicious/noExplicitAny: a parsed spec is any JSON; every read is checked where it matters
export type Json = Record<string, any>;

/** Bad input for the generator: a spec that does not load, an operation or field it lacks, a foreign output folder. */
export class CodegenError extends Error {
  override readonly name = 'CodegenError';
}

/** A loaded spec: its text (for the hash in generated headers) and the parsed document. */
export interface LoadedSpec {
  /** The path it was read from. */
  readonly path: string;
  /** The file's text. */
  readonly text: string;
  /** sha256 of the text, hex. */
  readonly sha256: string;
  /** The parsed document. */
  readonly doc: Json;
}

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Control characters out of text quoted from a file (a spec can hold anything). */
export const printable = (text: string): string => text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');

/**
 * Reads and parses an OpenAPI 3.x document (YAML or JSON). Throws {@link CodegenError} for a file
 * that cannot be read, does not parse, is Swagger 2.0 or another document, or has no `paths`.
 */
export function loadSpec(path: string): LoadedSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new CodegenError(`--spec ${printable(path)}: cannot read the file (${code})`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
    throw new CodegenError(`--spec ${printable(path)} does not parse as YAML or JSON: ${printable(first)}`);
  }
  const notOpenApi = `--spec ${printable(path)} is not an OpenAPI 3.x document`;
  if (!isObject(doc)) throw new CodegenError(`${notOpenApi}: expected an object with "openapi: 3.x" at the top`);
  if (doc.swagger !== undefined) {
    throw new CodegenError(
      `${notOpenApi}: it is Swagger ${printable(String(doc.swagger))}; convert it to OpenAPI 3 first (for example with swagger2openapi)`,
    );
  }
  if (typeof doc.openapi !== 'string' || !/^3\.\d+(\.\d+)?$/.test(doc.openapi)) {
    const got = doc.openapi === undefined ? 'no "openapi" field' : `openapi: ${printable(JSON.stringify(doc.openapi))}`;
    throw new CodegenError(`${notOpenApi}: it has ${got}; expected "openapi: 3.0.x" or "openapi: 3.1.x"`);
  }
  if (!isObject(doc.paths)) throw new CodegenError(`${notOpenApi}: it has no "paths" object`);
  return { path, text, sha256: createHash('sha256').update(text).digest('hex'), doc };
}

/** `node` with its `$ref`s followed (local ones, `#/...`); `{}` for a ref that loops or points nowhere. */
export function deref(spec: Json, node: unknown): Json | undefined {
  let at: unknown = node;
  const seen = new Set<string>();
  while (isObject(at) && typeof at.$ref === 'string') {
    if (seen.has(at.$ref) || !at.$ref.startsWith('#/')) return {};
    seen.add(at.$ref);
    at = at.$ref
      .slice(2)
      .split('/')
      .reduce<unknown>((o, k) => (isObject(o) ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), spec);
  }
  return isObject(at) ? at : undefined;
}

/** The schemas a schema stands for: itself and its allOf / anyOf / oneOf branches, recursively. */
export function branches(spec: Json, node: unknown, depth = 0): Json[] {
  const schema = deref(spec, node);
  if (!schema || depth > 20) return [];
  const parts = [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])] as unknown[];
  return [schema, ...parts.flatMap((p) => branches(spec, p, depth + 1))];
}

/** The properties of an object schema, over all of its branches (first one wins), in spec order. */
export function properties(spec: Json, node: unknown): Array<[name: string, schema: Json]> {
  const out = new Map<string, Json>();
  for (const b of branches(spec, node)) {
    if (!isObject(b.properties)) continue;
    for (const [name, sub] of Object.entries(b.properties)) if (!out.has(name) && isObject(sub)) out.set(name, sub);
  }
  return [...out];
}

/** The schema of property `key`, or of a list's items' property `key`. */
export function property(spec: Json, node: unknown, key: string): Json | undefined {
  for (const b of branches(spec, node)) {
    if (isObject(b.properties) && isObject(b.properties[key])) return b.properties[key];
    if (b.items) {
      const inItems = property(spec, b.items, key);
      if (inItems) return inItems;
    }
  }
  return undefined;
}

/** The schema at dotted `field` of `node` (a step into a list reads its items), or `undefined`. */
export function fieldSchema(spec: Json, node: unknown, field: string): Json | undefined {
  let at: unknown = node;
  for (const key of field.split('.')) {
    at = property(spec, at, key);
    if (!at) return undefined;
  }
  return deref(spec, at);
}

/** The JSON types a schema allows, over its branches (`type: [a, b]` and 3.0's `nullable` included). */
export function schemaTypes(spec: Json, node: unknown): Set<string> {
  const types = new Set<string>();
  for (const b of branches(spec, node)) {
    for (const t of Array.isArray(b.type) ? b.type : [b.type]) if (typeof t === 'string') types.add(t);
    if (Array.isArray(b.enum)) for (const v of b.enum) types.add(v === null ? 'null' : typeof v);
  }
  return types;
}

/** The HTTP methods an operation can have, lower case, in the order the generator reads them. */
export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** An operation of the spec. */
export interface SpecOperation {
  /** Upper case, e.g. `GET`. */
  readonly method: string;
  /** The path as the spec names it, e.g. `/batches/{batch_id}`. */
  readonly path: string;
  /** The operation object. */
  readonly op: Json;
  /** Its path item (for parameters shared by the path's operations). */
  readonly item: Json;
}

/** The operation `METHOD path` of the spec, or `undefined`. */
export function operation(spec: Json, method: string, path: string): SpecOperation | undefined {
  const item = deref(spec, spec.paths?.[path]);
  const op = item?.[method.toLowerCase()];
  return item && isObject(op) ? { method: method.toUpperCase(), path, op, item } : undefined;
}

/** Every operation of the spec, in spec order. */
export function operations(spec: Json): SpecOperation[] {
  const out: SpecOperation[] = [];
  for (const path of Object.keys(spec.paths ?? {})) {
    for (const method of METHODS) {
      const found = operation(spec, method, path);
      if (found) out.push(found);
    }
  }
  return out;
}

/** The parameters of an operation (path-level ones first, overridden by the operation's), dereferenced. */
export function parameters(spec: Json, found: SpecOperation): Json[] {
  const byKey = new Map<string, Json>();
  for (const raw of [...(found.item.parameters ?? []), ...(found.op.parameters ?? [])] as unknown[]) {
    const p = deref(spec, raw);
    if (p && typeof p.name === 'string') byKey.set(`${p.in} ${p.name}`, p);
  }
  return [...byKey.values()];
}

/** The first 2xx JSON response of `operation` (`"GET /v1/batches/{id}"`): its status code and schema. */
export function responseOf(spec: Json, operationName: string): { status: string; contentType: string; schema: Json } {
  const [method = '', path = ''] = operationName.split(' ');
  const found = operation(spec, method, path);
  if (!found) throw new CodegenError(`the spec has no operation ${printable(operationName)}`);
  for (const [status, response] of Object.entries<unknown>(found.op.responses ?? {})) {
    const content = deref(spec, response)?.content;
    const json = isObject(content)
      ? Object.entries(content).find(([type]) => /^application\/([\w.+-]+\+)?json\b/.test(type))
      : undefined;
    if (/^2(\d\d|XX)$/i.test(status) && json && isObject(json[1]) && json[1].schema) {
      return { status, contentType: json[0], schema: json[1].schema };
    }
  }
  throw new CodegenError(`${printable(operationName)} has no 2xx JSON response in the spec`);
}

/** The 2xx JSON response schema of `operation` (`"GET /v1/batches/{id}"`). */
export function responseSchema(spec: Json, operationName: string): Json {
  return responseOf(spec, operationName).schema;
}

/** The enum values of a schema and its branches (and of its items', for a list). */
export function enumValues(spec: Json, node: unknown): string[] {
  const values = new Set<string>();
  for (const b of branches(spec, node)) {
    for (const v of b.enum ?? []) if (v !== null) values.add(String(v));
    if (b.const !== undefined && b.const !== null) values.add(String(b.const));
    if (b.items)
      for (const i of branches(spec, b.items)) for (const v of i.enum ?? []) if (v !== null) values.add(String(v));
  }
  return [...values];
}

/**
 * The documented values of `field` (dotted; a step into a list reads its items) in the response of
 * `operation`, sorted; throws {@link CodegenError} when the field is not in the spec or has no enum.
 *
 * @example
 * statusEnum(spec, 'GET /v1/batches/{id}', 'status'); // ['cancelled', 'completed', 'failed', ...]
 */
export function statusEnum(spec: Json, operationName: string, field: string): string[] {
  const node = fieldSchema(spec, responseSchema(spec, operationName), field);
  if (!node) throw new CodegenError(`${printable(operationName)}: the spec's response has no ${printable(field)}`);
  const values = enumValues(spec, node);
  if (values.length === 0)
    throw new CodegenError(`${printable(operationName)}: ${printable(field)} has no enum in the spec`);
  return values.sort();
}
