// A real HTTP server on 127.0.0.1 that records what clients send and answers what a test scripts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export { type InstantClock, instantClock } from './clock.js';

export interface RecordedRequest {
  method: string;
  /** Path and query exactly as sent. */
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
  /** Destroy the socket instead of answering (connection reset). */
  reset?: boolean;
  /** Never answer (until the server closes). */
  hang?: boolean;
}

export type Responder = (request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>;

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Replace the responder. */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts a server on 127.0.0.1 with an ephemeral port. Every response carries `Connection: close`. */
export async function startRecordingServer(
  responder: Responder = () => ({ status: 200, body: {} }),
): Promise<RecordingServer> {
  let current = responder;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: await readBody(req),
    };
    requests.push(recorded);
    const answer = await current(recorded);
    if (answer.reset) {
      req.socket.destroy();
      return;
    }
    if (answer.hang) return;
    const isText = typeof answer.body === 'string';
    const payload = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body);
    res.writeHead(answer.status ?? 200, {
      'content-type': isText ? 'text/plain' : 'application/json',
      connection: 'close',
      ...answer.headers,
    });
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(next) {
      current = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** Counts of the event loop's active handles by type (`Timeout`, `TCPSocketWrap`, ...). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** Waits (with real time, a few event-loop turns) until sockets and timers drop back to `baseline`. */
export async function expectNoLeaks(
  baseline: Record<string, number>,
  kinds = ['Timeout', 'TCPSocketWrap', 'TCPWrap'],
): Promise<void> {
  const excess = () =>
    kinds
      .filter((k) => (activeResources()[k] ?? 0) > (baseline[k] ?? 0))
      .map((k) => `${k}: ${activeResources()[k]} > ${baseline[k] ?? 0}`);
  for (let i = 0; i < 50 && excess().length > 0; i++) {
    await new Promise((r) => setImmediate(r));
  }
  const left = excess();
  if (left.length > 0) throw new Error(`leaked handles: ${left.join(', ')}`);
}
