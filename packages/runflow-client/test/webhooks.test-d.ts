import type { JobNotification } from '@batchwatch/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { components } from '../src/index.js';
import { type RunflowBatchCallbackEvent, runflowCallbackNotification, verifyRunflowCallback } from '../src/webhooks.js';

describe('webhook types', () => {
  it('should type the verified event from the spec schema', () => {
    expectTypeOf(verifyRunflowCallback).returns.resolves.toEqualTypeOf<components['schemas']['BatchCallbackEvent']>();
    expectTypeOf<RunflowBatchCallbackEvent['batch_id']>().toEqualTypeOf<string>();
    expectTypeOf(runflowCallbackNotification).returns.toEqualTypeOf<JobNotification>();
  });

  it('should accept node and Fetch API headers and refuse other bodies', () => {
    void verifyRunflowCallback(new Uint8Array(), { 'runflow-signature': ['a'] }, ['s1', 's2']);
    void verifyRunflowCallback(new ArrayBuffer(0), new Headers(), 's');
    // @ts-expect-error: a parsed body cannot be verified; pass the raw bytes
    void verifyRunflowCallback({ event: 'batch.succeeded' }, {}, 's');
  });
});
