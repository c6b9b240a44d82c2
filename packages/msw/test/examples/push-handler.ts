// The "Push + poll" example of packages/core/README.md: the region below is copied there verbatim
// (push-e2e.test.ts checks it) and run by the end-to-end test against the mock server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkWebhookNotification, verifyCheckWebhook } from '@batchwatch/check-client/webhooks';
import type { JobScheduler } from '@batchwatch/core/scheduler';
import { WebhookVerificationError } from '@batchwatch/core/webhooks';
import { runflowCallbackNotification, verifyRunflowCallback } from '@batchwatch/runflow-client/webhooks';

// #region readme
/** A `node:http` handler for Runflow batch callbacks that ends polling early. */
export function runflowCallbackHandler(scheduler: Pick<JobScheduler, 'notify'>, secrets: string[]) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      // Verify the raw bytes: JSON.parse + JSON.stringify would change what was signed.
      const event = await verifyRunflowCallback(Buffer.concat(chunks), req.headers, secrets);
      // One poll now confirms the end; `false` (a job we do not watch, a late duplicate) is fine too.
      scheduler.notify(runflowCallbackNotification(event));
      res.writeHead(200).end();
    } catch (error) {
      const rejected = error instanceof WebhookVerificationError;
      res.writeHead(rejected ? 400 : 500, { 'content-type': 'text/plain' });
      res.end(rejected ? error.reason : 'internal error'); // never echo a secret or a signature
    }
  };
}
// #endregion readme

/** The same for Check webhooks, with the replay window in seconds. */
export function checkWebhookHandler(
  scheduler: Pick<JobScheduler, 'notify'>,
  secrets: string[],
  toleranceSeconds = 300,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const event = await verifyCheckWebhook(Buffer.concat(chunks), req.headers, secrets, { toleranceSeconds });
      const notification = checkWebhookNotification(event); // undefined for non-batch events
      if (notification) scheduler.notify(notification);
      res.writeHead(200).end();
    } catch (error) {
      const rejected = error instanceof WebhookVerificationError;
      res.writeHead(rejected ? 400 : 500, { 'content-type': 'text/plain' });
      res.end(rejected ? error.reason : 'internal error');
    }
  };
}
