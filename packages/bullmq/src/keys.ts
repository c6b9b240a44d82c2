import { ValidationError } from '@batchwatch/core';
import type { ConnectionOptions } from 'bullmq';

/** The key prefix of every queue of a fleet unless `prefix` says otherwise. */
export const DEFAULT_PREFIX = 'batchwatch';

// Every character but A-Z a-z 0-9 _ - ~ is percent-encoded (UTF-8), so `.` can separate the parts,
// no part holds `:` (BullMQ reserves it in ids and queue names), and an id is never all digits.
function encodePart(text: string): string {
  let out = '';
  for (const ch of text) {
    if (/^[A-Za-z0-9_~-]$/.test(ch)) out += ch;
    else for (const byte of new TextEncoder().encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The BullMQ job id of a provider job: `provider.kind.id`, each part percent-encoded, so the same
 * job gets the same id in every process and any id (with `:`, all digits, unicode) is safe.
 */
export function fleetJobId(provider: string, kind: string, id: string): string {
  return `${encodePart(provider)}.${encodePart(kind)}.${encodePart(id)}`;
}

/** Reads a {@link fleetJobId} back; `undefined` for an id that is not one. */
export function parseFleetJobId(jobId: string): { provider: string; kind: string; id: string } | undefined {
  const parts = jobId.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const [provider, kind, id] = parts.map((p) => decodeURIComponent(p)) as [string, string, string];
    return { provider, kind, id };
  } catch {
    return undefined;
  }
}

/** The BullMQ queue name of a provider: one queue (and so one request budget) per provider. */
export function fleetQueueName(provider: string): string {
  return encodePart(provider);
}

/** A `redis://` or `rediss://` URL, or BullMQ connection options. */
export type FleetConnection = string | ConnectionOptions;

/**
 * Checks a `redis://[user[:password]@]host[:port][/db]` URL (or `rediss://` for TLS) and passes it
 * to BullMQ as `{ url }`; other values pass through. Throws `ValidationError` (never showing the
 * password) for a bad URL.
 */
export function connectionOptions(connection: FleetConnection): ConnectionOptions {
  if (typeof connection !== 'string') {
    if (connection === null || typeof connection !== 'object') {
      throw new ValidationError('connection', 'a redis:// URL or BullMQ connection options');
    }
    return connection;
  }
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new ValidationError('connection', 'a URL like redis://127.0.0.1:6379 or rediss://user:password@host:6380/0');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ValidationError('connection', 'a redis:// or rediss:// URL', { received: `${url.protocol}//...` });
  }
  if (!/^\/?(\d{1,2})?$/.test(url.pathname)) {
    throw new ValidationError('connection', 'at most a database number after the host, e.g. redis://host:6379/0');
  }
  return { url: connection };
}
