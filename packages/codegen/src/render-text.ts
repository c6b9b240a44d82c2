// Helpers that write TypeScript source text: quoting, property keys and accesses, wrapped comments,
// and Biome's import order.

/** `text` in lines of at most `width` characters (words are never split). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
/** `text` as `//` comment lines at `indent`, at most 100 characters wide. */
export const lineComment = (text: string, indent: string) =>
  wrap(text, 100 - indent.length)
    .map((l) => `${indent}// ${l}`)
    .join('\n');
/** `text` as a JSDoc block comment at `indent`, at most 100 characters wide. */
export const docComment = (text: string, indent: string) =>
  [`${indent}/**`, ...wrap(text, 100 - indent.length).map((l) => `${indent} * ${l}`), `${indent} */`].join('\n');

/** Biome's import order: letters compared without case, an upper-case letter before its lower case. */
export function byName(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x === y) continue;
    const lx = x.toLowerCase();
    const ly = y.toLowerCase();
    if (lx !== ly) return lx < ly ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** A single-quoted string literal. */
export const q = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** An object key: bare when it is an identifier, quoted otherwise. */
export const key = (text: string) => (/^[A-Za-z_$][\w$]*$/.test(text) ? text : q(text));
/** A property access chain on `raw` for a dotted field: `raw.error?.message`. */
export const access = (root: string, field: string) =>
  field
    .split('.')
    .reduce((out, k, i) => `${out}${i === 0 ? '' : '?'}${/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${q(k)}]`}`, root);
