// Text that came from outside (providers, their errors, the environment) made safe to print:
// control characters escaped, configured keys redacted, JSON bounded. Everything the CLI prints
// from outside goes through here.

/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC, BEL, CR, LF...), DEL, C1
 * controls (U+009B is a one-character CSI to some terminals), line and paragraph separators, and
 * the bidirectional overrides that make text display in another order than it reads.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const hex = (char: string, digits: number) => char.charCodeAt(0).toString(16).padStart(digits, '0');

/**
 * Escapes every character a terminal would act on, so provider text prints as one inert line:
 * `"\u001b]0;x\u0007"` becomes `\x1b]0;x\x07`, a newline becomes `\n`. Nothing is dropped, so an
 * operator can see that something odd was sent.
 */
export function inert(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

// JSON.stringify already escapes U+0000-U+001F; these are the rest of UNSAFE. They can only occur
// inside JSON strings, where a \u escape means the same character, so the text stays equal JSON.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `JSON.stringify(value)` with every character a terminal acts on written as a `\u` escape, and
 * `redact` applied to every string value.
 */
export function inertJson(value: unknown, redact?: Redact): string {
  const replacer = redact ? (_key: string, v: unknown) => (typeof v === 'string' ? redact(v) : v) : undefined;
  return JSON.stringify(value, replacer).replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}

/** Replaces every configured key in a text with `[redacted]`. */
export type Redact = (text: string) => string;

/** The text that stands where a key was. */
export const REDACTED = '[redacted]';

/**
 * A function that replaces each of `secrets` (and its JSON-escaped form) with `[redacted]`,
 * longest first, so a provider that echoes a key in a message cannot get it printed.
 */
export function redactor(secrets: readonly string[]): Redact {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const form of sorted) out = out.split(form).join(REDACTED);
    return out;
  };
}

/** How deep `raw` may be nested in `watch --json` output. */
export const RAW_MAX_DEPTH = 64;
/** How long one `watch --json` line may be, in characters, before `raw` is left out. */
export const RAW_MAX_CHARS = 1_000_000;

/** Whether `value` nests objects or arrays deeper than `max` levels (or is circular), without recursion. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * One NDJSON line for `record`, whose `raw` field is a provider body: written whole when it is at
 * most {@link RAW_MAX_DEPTH} levels deep and the line at most {@link RAW_MAX_CHARS} characters;
 * otherwise `raw` is `null` and `rawOmitted` says why. Never throws for a hostile body.
 */
export function boundedJsonLine(record: { raw?: unknown } & Record<string, unknown>, redact?: Redact): string {
  const omit = (why: string) => inertJson({ ...record, raw: null, rawOmitted: why }, redact);
  if (nestedDeeperThan(record.raw, RAW_MAX_DEPTH)) {
    return omit(`the provider body is nested deeper than ${RAW_MAX_DEPTH} levels`);
  }
  let line: string;
  try {
    line = inertJson(record, redact);
  } catch (error) {
    return omit(`the provider body cannot be written as JSON (${(error as Error).name})`);
  }
  if (line.length > RAW_MAX_CHARS) {
    return omit(`the provider body is ${(line.length / 1e6).toFixed(1)} MB as JSON, over the 1 MB limit`);
  }
  return line;
}

/** Shortens `text` to `width` characters, keeping both ends: `supermetrics:query:74a9…e105cb6`. */
export function elideMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, Math.max(0, width));
  const keep = width - 1;
  return `${text.slice(0, Math.ceil(keep / 2))}…${text.slice(text.length - Math.floor(keep / 2))}`;
}

/** Shortens `text` to `width` characters, ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, Math.max(0, width));
  return `${text.slice(0, width - 1)}…`;
}

/** A duration for people: `0.4s`, `12.8s`, `1m20s`, `2h05m`. */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
