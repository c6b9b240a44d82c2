import * as core from '@batchwatch/core';
import { remoteSource } from '@batchwatch/core/http';
import { describe, expect, it } from 'vitest';
import * as react from '../src/index.js';

describe('@batchwatch/react exports', () => {
  it('should re-export every value of core, as the same object', () => {
    const exported: Record<string, unknown> = { ...react };
    const missing = Object.keys(core).filter((name) => !(name in exported));
    expect(missing).toEqual([]);
    for (const [name, value] of Object.entries(core)) expect(exported[name]).toBe(value);
  });

  it('should re-export remoteSource for browser code', () => {
    expect(react.remoteSource).toBe(remoteSource);
  });
});
