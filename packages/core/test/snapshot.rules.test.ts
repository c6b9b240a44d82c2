// How a provider's answer becomes a snapshot (client-kit/snapshot and shape): counts that cannot be
// negative or infinite, the fraction and its end values, the status lookup, and the errors for a
// body without its documented shape (naming the field, never echoing the value).
import { describe, expect, it } from 'vitest';
import { createSnapshot, mapStatus, objectList, shapeError, statusOf } from '../src/client-kit/index.js';
import { InvalidResponseError, type JobStatus, type SnapshotInit } from '../src/index.js';

const init = (fields: Partial<SnapshotInit<string>> = {}): SnapshotInit<string> => ({
  provider: 'acme',
  kind: 'export',
  id: 'e1',
  status: 'running',
  rawStatus: 'RUNNING',
  progress: { completed: 3, failed: 1, total: 12 },
  observedAt: 42,
  raw: 'body',
  ...fields,
});

describe('createSnapshot', () => {
  it('should copy what the source said and derive isTerminal and the fraction', () => {
    expect(createSnapshot(init())).toEqual({
      provider: 'acme',
      kind: 'export',
      id: 'e1',
      status: 'running',
      rawStatus: 'RUNNING',
      isTerminal: false,
      progress: { completed: 3, failed: 1, total: 12, fraction: 0.25 },
      timestamps: {},
      observedAt: 42,
      raw: 'body',
    });
  });

  it.each([
    [
      { completed: -3, total: 10 },
      { completed: 0, failed: 0, total: 10, fraction: 0 },
    ],
    [
      { completed: Number.NaN, total: 10 },
      { completed: 0, failed: 0, total: 10, fraction: 0 },
    ],
    [
      { completed: 5, total: Number.POSITIVE_INFINITY },
      { completed: 5, failed: 0, total: 0, fraction: null },
    ],
    [
      { completed: 5, failed: -1, total: 10 },
      { completed: 5, failed: 0, total: 10, fraction: 0.5 },
    ],
    [
      { completed: 5, total: -10 },
      { completed: 5, failed: 0, total: 0, fraction: null },
    ],
    [
      { completed: 15, total: 10 },
      { completed: 15, failed: 0, total: 10, fraction: 1 },
    ],
    [
      { completed: 5, total: null },
      { completed: 5, failed: 0, total: null, fraction: null },
    ],
    [
      { completed: 0, total: 0 },
      { completed: 0, failed: 0, total: 0, fraction: null },
    ],
    [
      { completed: 1, total: 1 },
      { completed: 1, failed: 0, total: 1, fraction: 1 },
    ],
  ])('should keep counts finite and non-negative, and the fraction in [0, 1]: %j', (progress, expected) => {
    expect(createSnapshot(init({ progress })).progress).toEqual(expected);
  });

  it.each<[JobStatus, boolean, number | null]>([
    ['queued', false, null],
    ['running', false, null],
    ['unknown', false, null],
    ['succeeded', true, 1],
    ['partially_succeeded', true, 1],
    ['failed', true, null],
    ['cancelled', true, null],
  ])('should report %s as terminal: %s, with fraction %s when the total is unknown', (status, terminal, fraction) => {
    const s = createSnapshot(init({ status, progress: { completed: 2, total: null } }));
    expect(s.isTerminal).toBe(terminal);
    expect(s.progress.fraction).toBe(fraction);
  });

  it('should keep the fraction of a failed or cancelled job where it stopped', () => {
    expect(createSnapshot(init({ status: 'failed', progress: { completed: 3, total: 4 } })).progress.fraction).toBe(
      0.75,
    );
    expect(createSnapshot(init({ status: 'cancelled', progress: { completed: 1, total: 4 } })).progress.fraction).toBe(
      0.25,
    );
  });

  it('should keep only the timestamps given as non-empty strings, and the failure only when there is one', () => {
    const s = createSnapshot(
      init({
        timestamps: { createdAt: '2026-01-01T00:00:00Z', startedAt: '', finishedAt: '2026-01-01T00:05:00Z' },
        failure: { code: 'E', message: 'broke' },
      }),
    );
    expect(s.timestamps).toStrictEqual({ createdAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:05:00Z' });
    expect(
      createSnapshot(init({ timestamps: { createdAt: '', startedAt: '', finishedAt: '' } })).timestamps,
    ).toStrictEqual({});
    expect(createSnapshot(init({ timestamps: {} })).timestamps).toStrictEqual({});
    expect(s.failure).toEqual({ code: 'E', message: 'broke' });
    expect(createSnapshot(init({ timestamps: { startedAt: '2026-01-01T00:00:01Z' } })).timestamps).toEqual({
      startedAt: '2026-01-01T00:00:01Z',
    });
    expect('failure' in createSnapshot(init())).toBe(false);
    expect('timestamps' in createSnapshot(init({ timestamps: undefined }))).toBe(true);
  });
});

describe('mapStatus', () => {
  const table = { QUEUED: 'queued', RUNNING: 'running', DONE: 'succeeded' } as const;

  it('should map documented statuses, and anything missing, empty or undocumented to unknown', () => {
    expect(mapStatus(table, 'DONE')).toBe('succeeded');
    expect(mapStatus(table, 'done')).toBe('unknown');
    expect(mapStatus(table, '')).toBe('unknown');
    expect(mapStatus(table, null)).toBe('unknown');
    expect(mapStatus(table, undefined)).toBe('unknown');
    expect(mapStatus(table, 'constructor')).toBe('unknown');
  });

  it('should refuse a status that is not a string, naming the field', () => {
    expect(() => mapStatus(table, { v: 1 } as unknown as string)).toThrow(
      new InvalidResponseError('the status is an object, expected a string'),
    );
    expect(() => mapStatus(table, 3 as unknown as string, 'state')).toThrow('the state is a number, expected a string');
  });
});

describe('shape errors', () => {
  it('should say what a field was instead of what was expected, never the value', () => {
    expect(shapeError('acme', 'items', 'secret-ish', 'an array').message).toBe(
      'acme sent items as a string, expected an array',
    );
    expect(shapeError('acme', 'items', undefined, 'an array').message).toBe('acme sent no items, expected an array');
    expect(shapeError('acme', 'items', null, 'an array').message).toBe('acme sent items as null, expected an array');
    expect(shapeError('acme', 'n', [], 'a number')).toBeInstanceOf(InvalidResponseError);
  });

  it('should take a status string as it is, and refuse anything else', () => {
    expect(statusOf('acme', 'state', 'RUNNING')).toBe('RUNNING');
    expect(statusOf('acme', 'state', '')).toBe('');
    expect(() => statusOf('acme', 'state', undefined)).toThrow('acme sent no state, expected a status string');
    expect(() => statusOf('acme', 'state', { toString: 1 })).toThrow(
      'acme sent state as an object, expected a status string',
    );
  });

  it('should read a list of objects: absent is empty, anything else names the field or the item', () => {
    const items = [{ id: 1 }, { id: 2 }];
    expect(objectList('acme', 'items', items)).toBe(items);
    expect(objectList('acme', 'items', undefined)).toEqual([]);
    expect(objectList('acme', 'items', null)).toEqual([]);
    expect(() => objectList('acme', 'items', {} as never)).toThrow(
      'acme sent items as an object, expected an array of objects',
    );
    expect(() => objectList('acme', 'items', [{}, null] as never)).toThrow(
      'acme sent items[1] as null, expected an object',
    );
    expect(() => objectList('acme', 'items', ['x'] as never)).toThrow(
      'acme sent items[0] as a string, expected an object',
    );
    expect(() => objectList('acme', 'items', [{}, {}, []] as never)).toThrow(
      'acme sent items[2] as an array, expected an object',
    );
  });
});
