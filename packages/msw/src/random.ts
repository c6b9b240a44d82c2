// Deterministic randomness: one seed drives every id and every generated value.

/** A pseudo-random source returning floats in `[0, 1)`. */
export type Random = () => number;

/**
 * A seeded pseudo-random source (mulberry32): the same seed gives the same sequence of floats in
 * `[0, 1)` on every run. Tiny and fast; good enough for mock data and benchmarks, never for secrets.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit FNV-1a hash of the parts joined, to seed per-item randomness from (seed, id, i). */
export function hash(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Continues {@link hash} from `state` over `text`, so a fixed prefix is hashed once:
 * `hashMore(hash(seed, id, ''), String(i)) === hash(seed, id, i)`.
 */
export function hashMore(state: number, text: string): number {
  let h = state;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A PRNG seeded from the parts, e.g. `derive(seed, jobId, index)`. */
export function derive(...parts: Array<string | number>): Random {
  return seededRandom(hash(...parts));
}

const HEX = '0123456789abcdef';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters drawn from `alphabet`. */
export function pick(random: Random, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** Lower-case hex digits. */
export const hex = (random: Random, length: number): string => pick(random, HEX, length);
/** Lower-case letters and digits. */
export const alnum = (random: Random, length: number): string => pick(random, ALNUM, length);
/** Mixed-case letters and digits (request ids). */
export const token = (random: Random, length: number): string => pick(random, TOKEN, length);

/** An integer in `[min, max]`. */
export const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

/**
 * A UUID in version-4 layout. With `index`, the last group is the index in hex, so an item id can be
 * mapped back to its batch and position without storing one id per item.
 */
export function uuid(random: Random, index?: number): string {
  const variant = HEX[8 + Math.floor(random() * 4)];
  const tail = index === undefined ? hex(random, 12) : index.toString(16).padStart(12, '0');
  return `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-${variant}${hex(random, 3)}-${tail}`;
}
