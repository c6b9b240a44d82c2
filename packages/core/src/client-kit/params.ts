import { ValidationError } from '../errors.js';

/**
 * The part of a JSON Schema that request validation checks, as `pnpm generate` extracts it from a
 * spec's parameters into `src/generated/params.gen.ts` of each client.
 */
export interface ParamSchema {
  type?: string | readonly string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  enum?: readonly unknown[];
  properties?: Readonly<Record<string, ParamSchema>>;
  required?: readonly string[];
}

/** One documented parameter of an operation. */
export interface ParamRule {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: ParamSchema;
}

/** Parameter rules by `"<METHOD> <path template>"`, e.g. `"GET /v1/batches/{id}"`. */
export type ParamRules = Readonly<Record<string, readonly ParamRule[]>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Describes what `schema` accepts, for error messages: "a string of 1-50 characters matching /^[A-Za-z0-9_-]+$/". */
export function describeSchema(schema: ParamSchema): string {
  // Stryker disable next-line StringLiteral: with '' a type string is searched as text, and no JSON Schema type name holds another
  const types = typeof schema.type === 'string' ? [schema.type] : (schema.type ?? []);
  if (schema.enum) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (types.includes('integer') || types.includes('number')) {
    const kind = types.includes('integer') ? 'an integer' : 'a number';
    if (schema.minimum !== undefined && schema.maximum !== undefined) {
      return `${kind} from ${schema.minimum} to ${schema.maximum}`;
    }
    if (schema.minimum !== undefined) return `${kind} >= ${schema.minimum}`;
    if (schema.maximum !== undefined) return `${kind} <= ${schema.maximum}`;
    return kind;
  }
  if (types.includes('string')) {
    if (schema.format === 'uuid') return 'a UUID like 3c90c3cc-0d44-4b50-8888-8dd25736052a';
    const parts = ['a string'];
    const min = schema.minLength;
    const max = schema.maxLength;
    if (min !== undefined && max !== undefined) parts.push(`of ${min}-${max} characters`);
    else if (max !== undefined) parts.push(`of at most ${max} characters`);
    else if (min !== undefined) parts.push(`of at least ${min} characters`);
    if (schema.pattern) parts.push(`matching /${schema.pattern}/`);
    return parts.join(' ');
  }
  if (types.includes('boolean')) return 'true or false';
  if (types.includes('object')) return 'an object';
  return 'a valid value';
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Checks `value` against `schema`; throws {@link ValidationError} naming `field` and the expected form.
 * `undefined` passes (requiredness is checked by {@link validateParams}).
 */
export function validateValue(field: string, value: unknown, schema: ParamSchema): void {
  if (value === undefined) return;
  // Stryker disable next-line StringLiteral: with '' a type string is searched as text, and no JSON Schema type name holds another
  const types = typeof schema.type === 'string' ? [schema.type] : (schema.type ?? []);
  const fail = (): never => {
    throw new ValidationError(field, describeSchema(schema), { received: shown(value) });
  };
  if (value === null) {
    if (types.includes('null')) return;
    fail();
  }
  if (schema.enum && !schema.enum.includes(value)) fail();
  if (types.includes('object') && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (obj[name] === undefined) {
        const sub = schema.properties?.[name];
        throw new ValidationError(`${field}.${name}`, `${sub ? describeSchema(sub) : 'a value'} (required)`);
      }
    }
    for (const [name, sub] of Object.entries(schema.properties ?? {})) {
      validateValue(`${field}.${name}`, obj[name], sub);
    }
    return;
  }
  if (typeof value === 'number') {
    if (!types.includes('integer') && !types.includes('number') && types.length > 0) fail();
    if (!Number.isFinite(value)) fail();
    if (types.includes('integer') && !types.includes('number') && !Number.isInteger(value)) fail();
    if (schema.minimum !== undefined && value < schema.minimum) fail();
    if (schema.maximum !== undefined && value > schema.maximum) fail();
    return;
  }
  if (typeof value === 'string') {
    if (types.length > 0 && !types.includes('string')) fail();
    if (schema.minLength !== undefined && value.length < schema.minLength) fail();
    if (schema.maxLength !== undefined && value.length > schema.maxLength) fail();
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) fail();
    if (schema.format === 'uuid' && !UUID.test(value)) fail();
    return;
  }
  // Stryker disable next-line BlockStatement,StringLiteral: the last check below does the same for a boolean (typeof true is 'boolean')
  if (typeof value === 'boolean') {
    if (types.length > 0 && !types.includes('boolean')) fail();
    return;
  }
  if (types.length > 0 && !types.includes(Array.isArray(value) ? 'array' : typeof value)) fail();
}

/** The `params` object openapi-fetch receives: `{ path?, query?, header? }`. */
export interface RequestParams {
  path?: Record<string, unknown>;
  query?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

/**
 * Validates a request's parameters against the rules of `operation` (e.g. `"GET /v1/batches/{id}"`).
 * Throws {@link ValidationError} naming the first bad field; nothing is sent.
 */
export function validateParams(rules: ParamRules, operation: string, params: RequestParams | undefined): void {
  const list = rules[operation];
  if (!list) return;
  for (const rule of list) {
    const bag = params?.[rule.in];
    const value = bag?.[rule.name];
    if (value === undefined) {
      if (rule.required) throw new ValidationError(rule.name, `${describeSchema(rule.schema)} (required)`);
      continue;
    }
    validateValue(rule.name, value, rule.schema);
  }
}

/**
 * A checker for one parameter of one operation, e.g. the `id` of `"GET /v1/batches/{id}"`, for job
 * sources to validate ids before polling. Throws {@link ValidationError}.
 */
export function paramValidator(rules: ParamRules, operation: string, name: string): (value: unknown) => void {
  const rule = rules[operation]?.find((r) => r.name === name);
  if (!rule) throw new Error(`no parameter ${name} in ${operation}`);
  return (value) => {
    if (value === undefined || value === '') {
      throw new ValidationError(name, `${describeSchema(rule.schema)} (required)`);
    }
    validateValue(name, value, rule.schema);
  };
}
