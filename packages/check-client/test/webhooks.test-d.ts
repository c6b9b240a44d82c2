import type { JobNotification } from '@batchwatch/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { components } from '../src/index.js';
import { checkWebhookNotification, verifyCheckWebhook } from '../src/webhooks.js';

describe('webhook types', () => {
  it('should type the verified event from the spec schema', () => {
    expectTypeOf(verifyCheckWebhook).returns.resolves.toEqualTypeOf<components['schemas']['WebhookEvent']>();
    expectTypeOf(checkWebhookNotification).returns.toEqualTypeOf<JobNotification | undefined>();
  });

  it('should take the tolerance in seconds and an injectable clock', () => {
    void verifyCheckWebhook('{}', {}, ['new', 'old'], { toleranceSeconds: 60, now: () => 0 });
    // @ts-expect-error: the tolerance is a number of seconds
    void verifyCheckWebhook('{}', {}, 's', { toleranceSeconds: '5m' });
  });
});
