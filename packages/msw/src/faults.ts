// The scripted faults a read can be answered with instead of the job's state.
import { type JobView, type ProviderAdapter, REASONS, type Reply, type RouteRequest } from './providers/shared.js';
import type { Fault } from './script.js';

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** What a fault needs to answer a read. */
export interface FaultRead {
  /** The request being answered. */
  req: RouteRequest;
  /** The provider answering. */
  adapter: ProviderAdapter;
  /** The clock, for `Retry-After` dates. */
  now: number;
  /** The job's literal `unknown` status (the script's, else the provider's). */
  unknownStatus: string;
  /** The job as the faulted read would have seen it. */
  view(): JobView;
  /** Renders a view as the endpoint's normal answer. */
  render(view: JobView): Reply;
}

/** HTTP 429 with the provider's body, `Retry-After` (seconds or an HTTP date) and no requests left. */
function rateLimited(fault: Extract<Fault, { kind: 'rate-limit' }>, read: FaultRead): Reply {
  const given = fault.retryAfter ?? 1;
  const seconds = given === 'date' ? 2 : Math.max(0, given);
  // An HTTP date has whole seconds: round up so at least `seconds` remain.
  const retryAfter =
    given === 'date' ? new Date(Math.ceil((read.now + 2000) / 1000) * 1000).toUTCString() : String(seconds);
  const reply = read.adapter.error(429, { req: read.req, retryAfter: seconds });
  return { ...reply, headers: { ...reply.headers, 'Retry-After': retryAfter, 'X-RateLimit-Remaining': '0' } };
}

/** The reply `fault` gives the read instead of the job's state. */
export function faultReply(fault: Fault, read: FaultRead): Reply {
  const { req, adapter } = read;
  switch (fault.kind) {
    case 'rate-limit':
      return rateLimited(fault, read);
    case 'server-error': {
      const status = fault.status ?? req.route.errors.find((s) => s >= 500) ?? 500;
      // A status the spec documents for the operation gets the provider's JSON body; others a gateway page.
      if (req.route.errors.includes(status)) return adapter.error(status, { req });
      return { status, body: `${status} ${REASONS[status] ?? 'Server Error'}` };
    }
    case 'html':
      return { status: 502, body: HTML_502, contentType: 'text/html; charset=utf-8' };
    case 'malformed': {
      const good = read.render(read.view());
      const text = JSON.stringify(good.body);
      return {
        ...good,
        body: text.slice(0, Math.max(1, Math.floor(text.length / 2))),
        contentType: 'application/json',
      };
    }
    case 'unknown-status':
      return read.render({ ...read.view(), raw: fault.raw ?? read.unknownStatus });
    case 'unauthorized':
      return adapter.error(401, { req });
    case 'not-found':
      return req.route.notFound?.(req) ?? adapter.error(404, { req });
    default:
      return read.render(read.view());
  }
}
