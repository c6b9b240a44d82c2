// The text of `<provider>.mock.ts`: the jobs' mock provider for tests (@batchwatch/msw's
// defineMockProvider), a starting point the user owns.
import type { PlannedJob } from './jobs.js';
import { jobNames, type Names } from './names.js';
import { byName, q } from './render-text.js';

/** Letters of a regex character class such as `a-z0-9_`; `undefined` for anything fancier. */
function alphabetOf(cls: string): string | undefined {
  let out = '';
  for (let i = 0; i < cls.length; i++) {
    const c = cls[i] ?? '';
    const to = cls[i + 2];
    if (cls[i + 1] === '-' && to !== undefined) {
      for (let code = c.charCodeAt(0); code <= to.charCodeAt(0); code++) out += String.fromCharCode(code);
      i += 2;
    } else if (/[\w-]/.test(c)) out += c;
    else return undefined;
  }
  return out === '' ? undefined : out;
}

/** A `newId` whose ids follow `pattern` when it is a prefix and one character class (`^exp_[a-z0-9]+$`). */
function newIdFor(idParam: string, pattern: string): string {
  const m = /^\^([\w-]*)\[([^\]^]+)\](\+|\*|\{(\d+)(,\d*)?\})\$$/.exec(pattern);
  const alphabet = m?.[2] === undefined ? undefined : alphabetOf(m[2]);
  if (!m || alphabet === undefined) {
    return `      // The spec's ${idParam} rule is ${pattern}: the mock refuses to start until newId makes ids that follow it.
      newId: (random) => \`TODO-\${Math.floor(random() * 1e9)}\`,`;
  }
  const length = m[4] === undefined ? 16 : Number(m[4]);
  return `      // Ids that follow the spec's ${idParam} rule, ${pattern}.
      newId: (random) =>
        \`${m[1]}\${Array.from({ length: ${length} }, () => ${q(alphabet)}[Math.floor(random() * ${alphabet.length})]).join('')}\`,`;
}

/** The text of `<provider>.mock.ts`: the jobs' mock provider for tests, a starting point the user owns. */
export function mockFor(names: Names, jobs: readonly PlannedJob[]): string {
  const kinds = jobs.map((job) => jobNames(names, job));
  const from = new Map<string, string[]>([
    ['./client.gen.js', [names.constant, `${names.constant}_BASE_URL`, ...kinds.map((n) => n.operations)]],
  ]);
  for (const n of kinds) from.set(`./${n.file.replace(/\.ts$/, '.js')}`, [n.kind]);
  const imports = [...from]
    .sort(([a], [b]) => byName(a, b))
    .map(([path, list]) => `import { ${[...list].sort(byName).join(', ')} } from '${path}';`);
  const entries = jobs.map((job, i) => {
    const n = kinds[i] ?? jobNames(names, job);
    const newId = job.idPattern === undefined ? '' : `\n${newIdFor(job.idParam, job.idPattern)}`;
    return `    {\n      kind: ${n.kind},\n      operations: ${n.operations},${newId}\n      // body: (job) => ({ ... }), // the fields the description does not read (see the guide)\n    },`;
  });
  return `// The ${names.provider} mock for your tests: @batchwatch/msw serves the job kinds from their descriptions
// (statuses, counts, create, cancel, scripted lifecycles and faults). Written once by \`batchwatch generate
// --mock\`; it is yours now. Import it from tests only: it needs @batchwatch/msw (npm i -D @batchwatch/msw msw@^2).
import { defineMockProvider } from '@batchwatch/msw';
${imports.join('\n')}

/**
 * ${names.provider} as the mock serves it: \`createMockProviders({ providers: [${names.camel}Mock] })\`, then
 * \`mockProviderHandlers(mock, ${names.camel}Mock)\` for msw, or \`startMockProviderServer({ providers: [${names.camel}Mock] })\`.
 */
export const ${names.camel}Mock = defineMockProvider({
  name: ${names.constant},
  baseUrl: ${names.constant}_BASE_URL,
  kinds: [
${entries.join('\n')}
  ],
});
`;
}
