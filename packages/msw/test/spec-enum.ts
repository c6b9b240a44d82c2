// Finds the documented values of a status field in a spec: the operation's 2xx JSON response, then
// the dotted field (into arrays' items where a step is a list), through $ref, allOf, anyOf and oneOf.
type Json = Record<string, any>;

function deref(spec: Json, node: Json | undefined): Json | undefined {
  let at = node;
  for (let hops = 0; at?.$ref && hops < 20; hops++) {
    at = (at.$ref as string)
      .replace(/^#\//, '')
      .split('/')
      .reduce((o: Json | undefined, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return at;
}

/** The schemas a schema stands for: itself and its allOf / anyOf / oneOf branches, recursively. */
function branches(spec: Json, node: Json | undefined): Json[] {
  const schema = deref(spec, node);
  if (!schema) return [];
  const parts = [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])] as Json[];
  return [schema, ...parts.flatMap((p) => branches(spec, p))];
}

/** The schema of property `key`, or of a list's items' property `key`. */
function property(spec: Json, node: Json | undefined, key: string): Json | undefined {
  for (const b of branches(spec, node)) {
    if (b.properties?.[key]) return b.properties[key];
    if (b.items) {
      const inItems = property(spec, b.items, key);
      if (inItems) return inItems;
    }
  }
  return undefined;
}

/** The 2xx JSON response schema of `operation` (`"GET /v1/batches/{id}"`). */
export function responseSchema(spec: Json, operation: string): Json {
  const [method = '', path = ''] = operation.split(' ');
  const op = spec.paths?.[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`the spec has no operation ${operation}`);
  for (const [status, response] of Object.entries<Json>(op.responses ?? {})) {
    const schema = deref(spec, response)?.content?.['application/json']?.schema;
    if (/^2\d\d$/.test(status) && schema) return schema;
  }
  throw new Error(`${operation} has no 2xx JSON response in the spec`);
}

/**
 * The documented values of `field` (dotted; a step into a list reads its items) in the response of
 * `operation`; throws when the field is not in the spec or has no enum.
 */
export function statusEnum(spec: Json, operation: string, field: string): string[] {
  let node: Json | undefined = responseSchema(spec, operation);
  for (const key of field.split('.')) {
    node = property(spec, node, key);
    if (!node) throw new Error(`${operation}: the spec's response has no ${field}`);
  }
  const values = new Set<string>();
  for (const b of branches(spec, node)) for (const v of b.enum ?? []) values.add(String(v));
  for (const b of branches(spec, node))
    if (b.items) for (const i of branches(spec, b.items)) for (const v of i.enum ?? []) values.add(String(v));
  if (values.size === 0) throw new Error(`${operation}: ${field} has no enum in the spec`);
  return [...values].sort();
}
