// Pushes Runflow batch callbacks and Check webhooks from the mock server to a receiver on a loopback address.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { CHECK_SIGNATURE_HEADER, signCheckWebhook } from '@batchwatch/check-client/webhooks';
import { RUNFLOW_SIGNATURE_HEADER, signRunflowCallback } from '@batchwatch/runflow-client/webhooks';
import type { MockJobInfo, MockProviders } from './engine.js';

/** The providers that push events. */
export type MockPushProvider = 'runflow' | 'check';

/** Where and how the mock server pushes events (`startMockProviderServer({ callbacks })`). */
export interface MockCallbackOptions {
  /**
   * Runflow: when a batch created (or added) with a `callback_url` ends, POST its
   * `BatchCallbackEvent` there, signed with `secret` in `Runflow-Signature`. Without `secret` the
   * header is left out, as Runflow does when the organisation has no callback secret. Defaults to none (off).
   */
  runflow?: { secret?: string };
  /**
   * Check: when any batch ends `completed` or `failed`, POST a `batch.completed` / `batch.failed`
   * `WebhookEvent` to `url`, signed with `secret` in `X-Check-Signature` (`t=<now>,v1=<hex>`).
   * A cancelled batch sends nothing (Check has no such event). Defaults to none (off).
   */
  check?: { url: string; secret: string };
  /** Retries of a delivery that failed (non-2xx, connection error, timeout). Defaults to `2`. */
  retries?: number;
  /** Wall-clock ms before the first retry, doubled for each next one. Defaults to `250`. */
  retryDelayMs?: number;
  /** Wall-clock ms one attempt may take. Defaults to `5000`. */
  timeoutMs?: number;
}

/** One push request, exactly as it is POSTed. Alter a copy to send a tampered or replayed delivery. */
export interface MockCallbackRequest {
  provider: MockPushProvider;
  /** The job the event is about, when known. */
  jobId: string | undefined;
  url: string;
  headers: Record<string, string>;
  /** The raw body (the signature covers these bytes). */
  body: string;
}

/** A push request and what became of it. */
export interface MockCallbackDelivery extends MockCallbackRequest {
  /** `true` when sent because the job ended (with retries); `false` for {@link MockCallbacks.send}. */
  automatic: boolean;
  /** Attempts sent so far. */
  attempts: number;
  /** Wall-clock ms at which each attempt was sent. */
  sentAt: number[];
  /** The HTTP status of the last answer, if any. */
  status: number | undefined;
  /** Why the last attempt failed (connection error, timeout, refused URL), if it did. */
  error: string | undefined;
  /** Whether an attempt was answered with a 2xx. */
  delivered: boolean;
}

/** How {@link MockCallbacks.build} and {@link MockCallbacks.sign} sign. */
export interface MockCallbackSignOptions {
  /** Sign with this secret instead of the configured one (a wrong, old or new secret). */
  secret?: string;
  /** Check: the signed `t` in Unix seconds; an old one makes a replay. Defaults to now. */
  timestamp?: number;
  /** POST there instead (Runflow: the batch's `callback_url`; Check: the configured URL). */
  url?: string;
}

/** The push side of the mock server: what it delivered, and hooks to send more. */
export interface MockCallbacks {
  /** Every delivery so far, automatic and manual, oldest first. */
  readonly deliveries: readonly MockCallbackDelivery[];
  /** The signed request for an ended job's event. Throws when the job has not ended or pushes nothing. */
  build(jobId: string, options?: MockCallbackSignOptions): Promise<MockCallbackRequest>;
  /** A signed request for any event body (an object is sent as JSON), e.g. about a job nobody watches. */
  sign(provider: MockPushProvider, event: unknown, options?: MockCallbackSignOptions): Promise<MockCallbackRequest>;
  /** POSTs `request` once, exactly as given (no retry), e.g. a duplicate or replay of a delivery. */
  send(request: MockCallbackRequest): Promise<MockCallbackDelivery>;
  /** Resolves once no automatic delivery is pending (retries included). */
  settled(): Promise<void>;
}

/** @internal The sender behind `server.callbacks`, fed by the engine's job hooks. */
export interface CallbackSender {
  api: MockCallbacks;
  jobCreated(id: string): void;
  jobEnded(id: string): void;
  /** Aborts deliveries in flight and clears every timer; resolves when all have unwound. */
  close(): Promise<void>;
}

/** Whether `url` is plain HTTP to a loopback address (`127.x.y.z` or `[::1]`). */
export function isLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && (u.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(u.hostname));
  } catch {
    return false;
  }
}

function post(request: MockCallbackRequest, signal: AbortSignal, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { 'Content-Length': String(Buffer.byteLength(request.body)), ...request.headers };
    // agent: false gives each attempt its own socket, closed after the answer: nothing stays open.
    const req = httpRequest(
      request.url,
      { method: 'POST', headers, agent: false, signal, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Signs `event` as `provider` pushes it: Runflow's `Runflow-Signature`, Check's `X-Check-Signature`. */
async function signedRequest(
  mock: MockProviders,
  options: MockCallbackOptions,
  provider: MockPushProvider,
  event: unknown,
  jobId: string | undefined,
  o: MockCallbackSignOptions = {},
): Promise<MockCallbackRequest> {
  const body = typeof event === 'string' ? event : JSON.stringify(event);
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (provider === 'runflow') {
    const url = o.url ?? (jobId === undefined ? undefined : mock.job(jobId)?.callbackUrl);
    if (url === undefined) throw new TypeError('a Runflow callback needs a url (the batch has no callback_url)');
    const secret = o.secret ?? options.runflow?.secret;
    if (secret !== undefined) headers[RUNFLOW_SIGNATURE_HEADER] = await signRunflowCallback(body, secret);
    headers['Runflow-Request-Id'] = randomUUID();
    return { provider, jobId, url, headers, body };
  }
  const url = o.url ?? options.check?.url;
  const secret = o.secret ?? options.check?.secret;
  if (url === undefined || secret === undefined)
    throw new TypeError('a Check webhook needs callbacks.check (url, secret)');
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  headers[CHECK_SIGNATURE_HEADER] = await signCheckWebhook(body, secret, { timestamp });
  return { provider, jobId, url, headers, body };
}

/** The sender behind `server.callbacks`: deliveries with retries, timers armed for clock-driven ends. */
class Sender implements CallbackSender {
  readonly deliveries: MockCallbackDelivery[] = [];
  readonly api: MockCallbacks;
  readonly #controller = new AbortController();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #timeoutMs: number;

  constructor(
    readonly mock: MockProviders,
    readonly options: MockCallbackOptions,
    readonly clock: { now(): number },
  ) {
    this.#retries = options.retries ?? 2;
    this.#retryDelayMs = options.retryDelayMs ?? 250;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.api = {
      deliveries: this.deliveries,
      build: (jobId, o) => this.build(jobId, o),
      sign: (provider, event, o) => signedRequest(this.mock, this.options, provider, event, undefined, o),
      send: async (request) => {
        const delivery = this.#record(request, false);
        if (!delivery.error) await this.#track(this.#attempt(delivery));
        return delivery;
      },
      settled: () => this.#settled(),
    };
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    void promise.finally(() => this.#pending.delete(promise)).catch(() => {});
    return promise;
  }

  async #settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #sleep(ms: number): Promise<void> {
    const { signal } = this.#controller;
    return new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = () => resolve();
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.#timers.add(timer);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #pushes(info: MockJobInfo | undefined): info is MockJobInfo {
    const { options } = this;
    return (
      info !== undefined &&
      ((info.provider === 'runflow' && info.kind === 'batch' && info.callbackUrl !== undefined && !!options.runflow) ||
        (info.provider === 'check' && !!options.check))
    );
  }

  async build(jobId: string, o?: MockCallbackSignOptions): Promise<MockCallbackRequest> {
    const info = this.mock.job(jobId);
    const event = this.mock.pushEvent(jobId);
    if (!info || event === undefined) {
      throw new TypeError(`job ${jobId} has no push event (unknown, not ended, or its provider pushes nothing for it)`);
    }
    return signedRequest(this.mock, this.options, info.provider as MockPushProvider, event, jobId, o);
  }

  async #attempt(delivery: MockCallbackDelivery): Promise<boolean> {
    delivery.attempts++;
    delivery.sentAt.push(Date.now());
    try {
      delivery.status = await post(delivery, this.#controller.signal, this.#timeoutMs);
      delivery.error = undefined;
      delivery.delivered = delivery.status >= 200 && delivery.status < 300;
    } catch (error) {
      delivery.status = undefined;
      delivery.error = error instanceof Error ? error.message : String(error);
    }
    return delivery.delivered;
  }

  #record(request: MockCallbackRequest, automatic: boolean): MockCallbackDelivery {
    const delivery: MockCallbackDelivery = {
      ...request,
      headers: { ...request.headers },
      automatic,
      attempts: 0,
      sentAt: [],
      status: undefined,
      error: undefined,
      delivered: false,
    };
    this.deliveries.push(delivery);
    if (!isLoopbackUrl(request.url))
      delivery.error = `refused: ${request.url} is not an http URL on a loopback address`;
    return delivery;
  }

  async #deliver(id: string): Promise<void> {
    const delivery = this.#record(await this.build(id), true);
    if (delivery.error) return;
    for (let k = 0; !this.#controller.signal.aborted; k++) {
      if ((await this.#attempt(delivery)) || k >= this.#retries) return;
      await this.#sleep(this.#retryDelayMs * 2 ** k);
    }
  }

  // A job whose script only the clock drives ends unobserved: look at it when it is due, so it ends then.
  #arm(id: string, at: number, tries = 0): void {
    if (this.#controller.signal.aborted) return;
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        const info = this.mock.job(id); // reading the job lets the engine see its end (and call jobEnded)
        if (info && info.finishedAt === undefined && info.endsAt !== undefined && tries < 20)
          this.#arm(id, info.endsAt, tries + 1);
      },
      Math.max(0, at - this.clock.now()) + 1,
    );
    this.#timers.add(timer);
  }

  jobCreated(id: string): void {
    const info = this.mock.job(id);
    if (!this.#pushes(info) || info.finishedAt !== undefined || info.endsAt === undefined) return;
    this.#arm(id, info.endsAt);
  }

  // The engine reports each job's end once.
  jobEnded(id: string): void {
    if (this.#controller.signal.aborted || !this.#pushes(this.mock.job(id)) || this.mock.pushEvent(id) === undefined)
      return;
    this.#track(this.#deliver(id)).catch(() => {});
  }

  async close(): Promise<void> {
    this.#controller.abort();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#settled();
  }
}

/** @internal */
export function createCallbackSender(
  mock: MockProviders,
  options: MockCallbackOptions,
  clock: { now(): number },
): CallbackSender {
  return new Sender(mock, options, clock);
}
