import * as core from '@batchwatch/core';
import { remoteSource } from '@batchwatch/core/http';
import { describe, expect, it } from 'vitest';
import * as react from '../src/index.js';

describe('@batchwatch/react exports', () => {
  it('should re-export every value of core, as the same object', () => {
    const missing = Object.keys(core).filter((name) => !(name in react));
    expect(missing).toEqual([]);
    for (const [name, value] of Object.entries(core)) expect(react[name as keyof typeof react]).toBe(value);
  });

  it('should re-export remoteSource for browser code', () => {
    expect(react.remoteSource).toBe(remoteSource);
  });
});
