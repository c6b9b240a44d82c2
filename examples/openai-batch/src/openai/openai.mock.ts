// The openai mock for your tests: @batchwatch/msw serves the job kinds from their descriptions
// (statuses, counts, create, cancel, scripted lifecycles and faults). Written once by `batchwatch generate
// --mock`; it is yours now. Import it from tests only: it needs @batchwatch/msw (npm i -D @batchwatch/msw msw@^2).
import { defineMockProvider } from '@batchwatch/msw';
import { openaiBatchKind } from './batch.kind.js';
import { OPENAI, OPENAI_BASE_URL, openaiBatchOperations } from './client.gen.js';

/**
 * openai as the mock serves it: `createMockProviders({ providers: [openaiMock] })`, then
 * `mockProviderHandlers(mock, openaiMock)` for msw, or `startMockProviderServer({ providers: [openaiMock] })`.
 */
export const openaiMock = defineMockProvider({
  name: OPENAI,
  baseUrl: OPENAI_BASE_URL,
  kinds: [
    {
      kind: openaiBatchKind,
      operations: openaiBatchOperations,
      // body: (job) => ({ ... }), // the fields the description does not read (see the guide)
    },
  ],
});
