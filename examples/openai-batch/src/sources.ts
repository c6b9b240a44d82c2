// OpenAI batches for the `batchwatch` command: `batchwatch watch --sources dist-node/sources.js
// openai:batch:<id>` (after `pnpm build`). The key comes from OPENAI_API_KEY and stays here; the
// base URL from OPENAI_BASE_URL when set (the tests point it at the local mock).
import { openaiBatch } from './openai/batch.kind.js';
import { createOpenaiClient } from './openai/client.gen.js';

const client = createOpenaiClient({
  apiKey: process.env.OPENAI_API_KEY ?? '',
  ...(process.env.OPENAI_BASE_URL ? { baseUrl: process.env.OPENAI_BASE_URL } : {}),
});

export default { openai: { batch: openaiBatch(client) } };
