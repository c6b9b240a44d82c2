// Request parameter checks generated from the specs (client-kit/params): what each schema keyword
// accepts, at its bounds, and what a refused value is told. A bad parameter fails before anything
// is sent, with the field, the expected form and (shortened) what was given.
import { describe, expect, it } from 'vitest';
import {
  describeSchema,
  type ParamRules,
  type ParamSchema,
  paramValidator,
  validateParams,
  validateValue,
} from '../src/client-kit/index.js';
import { ValidationError } from '../src/index.js';

/** The message validateValue throws, or undefined when it accepts. */
function refusal(value: unknown, schema: ParamSchema, field = 'f'): string | undefined {
  try {
    validateValue(field, value, schema);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
}

describe('describeSchema', () => {
  it.each<[ParamSchema, string]>([
    [{ enum: ['a', 1, null] }, 'one of "a", 1, null'],
    [{ type: 'string', enum: ['x'] }, 'one of "x"'],
    [{ type: 'integer', minimum: 1, maximum: 5 }, 'an integer from 1 to 5'],
    [{ type: 'integer', minimum: 0 }, 'an integer >= 0'],
    [{ type: 'integer', maximum: 100 }, 'an integer <= 100'],
    [{ type: 'integer' }, 'an integer'],
    [{ type: 'number', minimum: 0.5, maximum: 2 }, 'a number from 0.5 to 2'],
    [{ type: 'number' }, 'a number'],
    [{ type: ['integer', 'null'], minimum: 1 }, 'an integer >= 1'],
    [{ type: ['number', 'integer'] }, 'an integer'],
    [{ type: 'string', format: 'uuid', maxLength: 36 }, 'a UUID like 3c90c3cc-0d44-4b50-8888-8dd25736052a'],
    [
      { type: 'string', minLength: 1, maxLength: 50, pattern: '^[a-z]+$' },
      'a string of 1-50 characters matching /^[a-z]+$/',
    ],
    [{ type: 'string', maxLength: 50 }, 'a string of at most 50 characters'],
    [{ type: 'string', minLength: 2 }, 'a string of at least 2 characters'],
    [{ type: 'string', minLength: 0 }, 'a string of at least 0 characters'],
    [{ type: 'string', pattern: '^x$' }, 'a string matching /^x$/'],
    [{ type: 'string' }, 'a string'],
    [{ type: ['string', 'null'] }, 'a string'],
    [{ type: 'boolean' }, 'true or false'],
    [{ type: 'object' }, 'an object'],
    [{ type: 'array' }, 'a valid value'],
    [{}, 'a valid value'],
  ])('should describe %j as %s', (schema, text) => {
    expect(describeSchema(schema)).toBe(text);
  });
});

describe('validateValue', () => {
  it('should accept undefined (requiredness is checked elsewhere) and null only where the type allows it', () => {
    expect(refusal(undefined, { type: 'integer', minimum: 1 })).toBeUndefined();
    expect(refusal(null, { type: ['string', 'null'] })).toBeUndefined();
    expect(refusal(null, { type: 'string' })).toBe('invalid f: expected a string (got null)');
    expect(refusal(null, {})).toBe('invalid f: expected a valid value (got null)');
  });

  it('should accept only listed enum values', () => {
    expect(refusal('b', { enum: ['a', 'b'] })).toBeUndefined();
    expect(refusal('c', { enum: ['a', 'b'] })).toBe('invalid f: expected one of "a", "b" (got "c")');
    expect(refusal(1, { type: 'integer', enum: [2, 3] })).toBe('invalid f: expected one of 2, 3 (got 1)');
  });

  it('should check numbers: type, finiteness, integrality and inclusive bounds', () => {
    const range = { type: 'integer', minimum: 1, maximum: 5 };
    expect(refusal(1, range)).toBeUndefined();
    expect(refusal(5, range)).toBeUndefined();
    expect(refusal(0, range)).toBe('invalid f: expected an integer from 1 to 5 (got 0)');
    expect(refusal(6, range)).toBe('invalid f: expected an integer from 1 to 5 (got 6)');
    expect(refusal(2.5, range)).toBe('invalid f: expected an integer from 1 to 5 (got 2.5)');
    expect(refusal(2.5, { type: ['integer', 'number'] })).toBeUndefined();
    expect(refusal(2.5, { type: 'number' })).toBeUndefined();
    expect(refusal(Number.NaN, { type: 'number' })).toBe('invalid f: expected a number (got NaN)');
    expect(refusal(Number.POSITIVE_INFINITY, {})).toBe('invalid f: expected a valid value (got Infinity)');
    expect(refusal(3, { type: 'string' })).toBe('invalid f: expected a string (got 3)');
    expect(refusal(3, {})).toBeUndefined();
  });

  it('should check strings: type, inclusive length bounds, pattern (Unicode) and UUID format', () => {
    const len = { type: 'string', minLength: 2, maxLength: 4 };
    expect(refusal('ab', len)).toBeUndefined();
    expect(refusal('abcd', len)).toBeUndefined();
    expect(refusal('a', len)).toBe('invalid f: expected a string of 2-4 characters (got "a")');
    expect(refusal('abcde', len)).toBe('invalid f: expected a string of 2-4 characters (got "abcde")');
    expect(refusal('😀', { type: 'string', pattern: '^.$' })).toBeUndefined();
    expect(refusal('ab', { type: 'string', pattern: '^a$' })).toBe(
      'invalid f: expected a string matching /^a$/ (got "ab")',
    );
    const uuid = { type: 'string', format: 'uuid' };
    expect(refusal('3C90C3CC-0D44-4B50-8888-8DD25736052A', uuid)).toBeUndefined();
    expect(refusal('3c90c3cc-0d44-4b50-8888-8dd25736052', uuid)).toContain('expected a UUID like');
    expect(refusal('x3c90c3cc-0d44-4b50-8888-8dd25736052a', uuid)).toContain('expected a UUID like');
    expect(refusal('3c90c3cc-0d44-4b50-8888-8dd25736052ax', uuid)).toContain('expected a UUID like');
    expect(refusal('abc', { type: 'integer' })).toBe('invalid f: expected an integer (got "abc")');
    expect(refusal('abc', {})).toBeUndefined();
    expect(refusal('abc', { format: 'date' })).toBeUndefined();
  });

  it('should check booleans and anything else by type', () => {
    expect(refusal(true, { type: 'boolean' })).toBeUndefined();
    expect(refusal(false, {})).toBeUndefined();
    expect(refusal(true, { type: 'string' })).toBe('invalid f: expected a string (got true)');
    expect(refusal([1], { type: 'array' })).toBeUndefined();
    expect(refusal([1], {})).toBeUndefined();
    expect(refusal([1], { type: 'string' })).toBe('invalid f: expected a string (got 1)');
    expect(refusal({ a: 1 }, { type: 'string' })).toBe('invalid f: expected a string (got [object Object])');
    expect(refusal(10n, { type: 'integer' })).toBe('invalid f: expected an integer (got 10)');
  });

  it('should check objects field by field, naming the path', () => {
    const schema: ParamSchema = {
      type: 'object',
      required: ['ds_id'],
      properties: { ds_id: { type: 'string', minLength: 2 }, fields: { type: 'string' }, n: { type: 'integer' } },
    };
    expect(refusal({ ds_id: 'GA', fields: 'x' }, schema, 'json')).toBeUndefined();
    expect(refusal({ fields: 'x' }, schema, 'json')).toBe(
      'invalid json.ds_id: expected a string of at least 2 characters (required)',
    );
    expect(refusal({ ds_id: 'GA', n: 1.5 }, schema, 'json')).toBe('invalid json.n: expected an integer (got 1.5)');
    expect(refusal({}, { type: 'object', required: ['x'] }, 'json')).toBe(
      'invalid json.x: expected a value (required)',
    );
    expect(refusal({ x: 1 }, { type: 'object' })).toBeUndefined();
    // A value of another listed type is checked as that type, not as an object.
    expect(refusal('abc', { type: ['object', 'string'], required: ['x'] })).toBeUndefined();
    // An array is not an object with fields.
    expect(refusal([], { type: 'object', required: ['x'] })).toBe('invalid f: expected an object (got )');
  });

  it('should shorten a long value in the message to 60 characters', () => {
    const long = 'x'.repeat(100);
    const message = refusal(long, { type: 'string', maxLength: 10 }) as string;
    expect(message).toBe(`invalid f: expected a string of at most 10 characters (got "${'x'.repeat(56)}...)`);
    const exact = 'y'.repeat(58); // 60 characters with its quotes: shown whole
    expect(refusal(exact, { type: 'string', maxLength: 10 })).toContain(`(got "${exact}")`);
  });
});

describe('validateParams and paramValidator', () => {
  const rules: ParamRules = {
    'GET /v1/batches/{id}': [
      { in: 'path', name: 'id', required: true, schema: { type: 'string', pattern: '^b_[a-z0-9]+$' } },
      { in: 'query', name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 100 } },
      { in: 'header', name: 'X-Trace', schema: { type: 'string', maxLength: 8 } },
    ],
  };
  const op = 'GET /v1/batches/{id}';

  it('should check each parameter where it is sent, and pass optional ones that are absent', () => {
    expect(() => validateParams(rules, op, { path: { id: 'b_1' } })).not.toThrow();
    expect(() => validateParams(rules, op, { path: { id: 'b_1' }, query: { limit: 100 } })).not.toThrow();
    expect(() => validateParams(rules, op, { path: { id: 'b_1' }, query: { limit: 101 } })).toThrow(
      'invalid limit: expected an integer from 1 to 100 (got 101)',
    );
    expect(() => validateParams(rules, op, { path: { id: 'b_1' }, header: { 'X-Trace': '123456789' } })).toThrow(
      'invalid X-Trace: expected a string of at most 8 characters',
    );
    // A value under another location is not the parameter.
    expect(() => validateParams(rules, op, { path: { id: 'b_1' }, query: { 'X-Trace': '123456789' } })).not.toThrow();
  });

  it('should require required parameters, and not check operations it has no rules for', () => {
    expect(() => validateParams(rules, op, { query: { id: 'b_1' } })).toThrow(
      'invalid id: expected a string matching /^b_[a-z0-9]+$/ (required)',
    );
    expect(() => validateParams(rules, op, undefined)).toThrow('(required)');
    expect(() => validateParams(rules, 'GET /v1/other', undefined)).not.toThrow();
  });

  it('should build a checker for one parameter that also refuses an empty string', () => {
    const id = paramValidator(rules, op, 'id');
    expect(() => id('b_42')).not.toThrow();
    expect(() => id('')).toThrow('invalid id: expected a string matching /^b_[a-z0-9]+$/ (required)');
    expect(() => id(undefined)).toThrow('(required)');
    expect(() => id('B_42')).toThrow('(got "B_42")');
    expect(() => paramValidator(rules, op, 'nope')).toThrow('no parameter nope in GET /v1/batches/{id}');
    expect(() => paramValidator(rules, 'GET /v1/other', 'id')).toThrow('no parameter id in GET /v1/other');
  });
});
