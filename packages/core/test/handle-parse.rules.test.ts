// What a job handle must look like, field by field, and what a resumed watch starts from. A handle
// comes from storage, a queue or another process: anything it says is checked before it is used.
import { describe, expect, it } from 'vitest';
import { type JobHandle, stateFromHandle } from '../src/handle-format.js';
import { parseJobHandle, resumeFrom } from '../src/handle-parse.js';
import { InvalidHandleError } from '../src/handles.js';

const base: JobHandle = {
  v: 1,
  provider: 'fake',
  kind: 'job',
  id: 'j1',
  nextPollAt: 5000,
  attempt: 3,
  startedAt: 1000,
  deadline: null,
};

/** The message parseJobHandle throws for `value`, or undefined when it accepts it. */
function refusal(value: unknown): string | undefined {
  try {
    parseJobHandle(value);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidHandleError);
    expect((error as Error).name).toBe('InvalidHandleError');
    return (error as Error).message;
  }
}

const eta = [100, 0, 1, 50, 4, 2];

describe('parseJobHandle: every field', () => {
  it.each<[keyof JobHandle, unknown[], unknown[]]>([
    ['v', [1], [0, 1.5, '1', null]],
    ['provider', ['runflow', 'x'], ['', 7, null]],
    ['kind', ['batch', 'x'], ['', 7, null]],
    ['id', ['j2', 'x'], ['', 7, null]],
    ['nextPollAt', [0, -5, 1.5], [Number.NaN, Number.POSITIVE_INFINITY, '5', null]],
    ['attempt', [0, 12], [-1, 1.5, Number.NaN, '3', null]],
    ['startedAt', [0, -5, 1.5], [Number.NaN, Number.NEGATIVE_INFINITY, '5', null]],
    ['deadline', [null, 0, 99.5], [Number.POSITIVE_INFINITY, Number.NaN, '99']],
    ['unchanged', [undefined, 0, 4], [-1, 0.5, '4', null]],
    ['errors', [undefined, 0, 2], [-1, 2.5, '2', null]],
    ['sig', [undefined, '', 'abc'], [1, null, {}]],
    ['fraction', [undefined, 0, 0.5, 1], [-0.1, 1.01, Number.NaN, '0.5', null]],
    ['origin', [undefined, 0, -10, 2.5], [Number.NaN, Number.POSITIVE_INFINITY, '0', null]],
    [
      'eta',
      [undefined, eta, [0, 0, 0, 0, 0, 0]],
      [
        eta.slice(0, 5),
        [...eta, 1],
        [100, 0, 1, 50, 4, 2.5],
        [100, 0, 1, 50, 4, -1],
        [100, Number.NaN, 1, 50, 4, 2],
        [100, 0, 1, Number.POSITIVE_INFINITY, 4, 2],
        { 0: 100, length: 6 },
        'eta',
        null,
      ],
    ],
  ])('should accept the valid values of %s and refuse the others, naming it', (field, good, bad) => {
    for (const value of good) {
      expect(refusal({ ...base, [field]: value }), `${field}: ${JSON.stringify(value)}`).toBeUndefined();
    }
    for (const value of bad) {
      expect(refusal({ ...base, [field]: value }), `${field}: ${JSON.stringify(value)}`).toBe(
        `job handle field "${field}" has an invalid value (${typeof value})`,
      );
    }
  });

  it('should say which required field is missing', () => {
    for (const field of ['v', 'provider', 'kind', 'id', 'nextPollAt', 'attempt', 'startedAt', 'deadline'] as const) {
      const { [field]: _gone, ...rest } = base;
      expect(refusal(rest)).toBe(`job handle field "${field}" is missing`);
    }
  });

  it('should refuse any field it does not know, even one named like a built-in', () => {
    expect(refusal({ ...base, pollUrl: 'https://x' })).toBe('job handle has an unknown field "pollUrl"');
    expect(refusal(JSON.parse('{"toString": 1}'))).toBe('job handle has an unknown field "toString"');
    expect(refusal(JSON.parse(`{"__proto__": {}, ${JSON.stringify(base).slice(1)}`))).toBe(
      'job handle has an unknown field "__proto__"',
    );
  });

  it('should tell a newer version from a broken one', () => {
    expect(refusal({ ...base, v: 2 })).toContain(
      'handle version 2 is newer than this @batchwatch/core understands (1)',
    );
    expect(refusal({ v: 3 })).toContain('handle version 3 is newer');
    expect(refusal({ ...base, v: 2.5 })).toBe('job handle field "v" has an invalid value (number)');
    expect(refusal({ ...base, v: '2' })).toBe('job handle field "v" has an invalid value (string)');
  });

  it('should take only a JSON object, as text or as a value', () => {
    for (const value of [null, [], 'null', '[]', '"text"', '5', 5, true]) {
      expect(refusal(value)).toBe('job handle must be a JSON object');
    }
    expect(refusal('{"v":')).toBe('job handle is not valid JSON');
    try {
      parseJobHandle('{');
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(SyntaxError);
    }
  });

  it('should return the handle it read, and check its owner', () => {
    const full: JobHandle = {
      ...base,
      unchanged: 1,
      errors: 0,
      sig: 's',
      fraction: 0.25,
      origin: 0,
      eta: eta as never,
    };
    expect(parseJobHandle(JSON.stringify(full), { provider: 'fake', kind: 'job' })).toEqual(full);
    expect(() => parseJobHandle(full, { provider: 'fake', kind: 'other' })).toThrow(
      'job handle is for fake job, but the source is fake other',
    );
    expect(() => parseJobHandle(full, { provider: 'other', kind: 'job' })).toThrow(
      'job handle is for fake job, but the source is other job',
    );
  });
});

describe('resumeFrom: where a resumed watch starts', () => {
  it('should resume from text for the matching source only', () => {
    expect(resumeFrom(JSON.stringify(base), { provider: 'fake', kind: 'job' })).toEqual({
      id: 'j1',
      state: stateFromHandle(base),
    });
    expect(() => resumeFrom(base, { provider: 'fake', kind: 'batch' })).toThrow(InvalidHandleError);
  });
});
