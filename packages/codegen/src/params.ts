// Parameter rules: the subset of each operation's parameter schemas that a client checks before it
// sends anything (core's `ParamRules`, enforced by `createRequestGuard`).
import { deref, type Json, operations, parameters } from './spec.js';

const KEEP = ['type', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'format', 'enum', 'required'];

// The subset of a parameter's JSON Schema that the client checks before sending (see ParamSchema in core).
function paramSchema(doc: Json, raw: unknown, depth = 0): Json {
  const schema = deref(doc, raw);
  if (!schema || depth > 10) return {};
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    // An open enum accepts any string; other unions are not checked.
    const open = ((schema.anyOf ?? schema.oneOf) as unknown[])
      .map((s) => deref(doc, s))
      .find((s) => s?.type === 'string' && !s.enum);
    return open ? { type: 'string' } : {};
  }
  const out: Json = {};
  for (const key of KEEP) if (schema[key] !== undefined) out[key] = schema[key];
  // Only `uuid` is checked (see describeSchema in core's client-kit); `int32` and the like say nothing more than min/max.
  if (out.format !== undefined && out.format !== 'uuid') delete out.format;
  if (schema.properties) {
    out.properties = {};
    for (const [name, sub] of Object.entries(schema.properties))
      out.properties[name] = paramSchema(doc, sub, depth + 1);
  }
  return out;
}

/** Every operation's path, query and header parameter rules, keyed `"<METHOD> <path>"`. */
export function paramRules(doc: Json): Json {
  const rules: Json = {};
  for (const found of operations(doc)) {
    const list: Json[] = [];
    for (const p of parameters(doc, found)) {
      if (!['path', 'query', 'header'].includes(p.in)) continue;
      const schema = p.schema ?? p.content?.['application/json']?.schema;
      const rule: Json = { in: p.in, name: p.name, schema: paramSchema(doc, schema) };
      if (p.required) rule.required = true;
      list.push(rule);
    }
    if (list.length > 0) rules[`${found.method} ${found.path}`] = list;
  }
  return rules;
}

/** The body of `params.gen.ts` (without the header). */
export function paramsFor(doc: Json): string {
  return [
    '',
    "import type { ParamRules } from '@batchwatch/core/client-kit';",
    '',
    '/** Parameter constraints from the spec, checked before a request is sent. */',
    `export const paramRules: ParamRules = ${JSON.stringify(paramRules(doc), null, 2)};`,
    '',
  ].join('\n');
}
