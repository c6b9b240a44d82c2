// "acme", a provider of the user's own: the `--sources` module the CLI loads (fixtures/acme-sources.mjs)
// and the mock provider that serves it, made from the same job-kind description.
import { fileURLToPath } from 'node:url';
import { defineMockProvider } from '@batchwatch/msw';
// @ts-expect-error: a plain ES module, as a user writes it
import { acmeExportKind } from './fixtures/acme-sources.mjs';

/** The path to give `--sources`. */
export const ACME_SOURCES = fileURLToPath(new URL('./fixtures/acme-sources.mjs', import.meta.url));

/** The mock of acme's export jobs, with ids the kind's rules accept (`exp_...`). */
export const acmeMock = defineMockProvider({
  name: 'acme',
  baseUrl: 'https://api.acme.example/v2',
  kinds: [{ kind: acmeExportKind, newId: (random) => `exp_${Math.floor(random() * 36 ** 8).toString(36)}` }],
});
