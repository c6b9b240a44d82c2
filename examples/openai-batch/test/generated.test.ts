// The committed src/openai is what `pnpm generate` (the example's `batchwatch generate` command)
// makes from the trimmed spec, and the batch kind maps exactly the statuses the spec documents.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadSpec, statusEnum } from '@batchwatch/codegen';
import { describe, expect, it } from 'vitest';
import { openaiBatchKind, openaiBatchStatusTable } from '../src/openai/batch.kind.js';

const here = fileURLToPath(new URL('..', import.meta.url));

describe('the generated OpenAI client', () => {
  it('should be what the package.json generate script writes (batchwatch generate --check passes)', () => {
    const run = spawnSync('pnpm', ['run', '--silent', 'generate', '--check'], { cwd: here, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual([
      '✓ src/openai/schema.gen.ts',
      '✓ src/openai/params.gen.ts',
      '✓ src/openai/client.gen.ts',
      '✓ src/openai/batchwatch.gen.json',
    ]);
    expect(run.status).toBe(0);
  });

  it("should map exactly the spec's batch statuses", () => {
    const { doc } = loadSpec(`${here}spec/openapi.yaml`);
    expect(Object.keys(doc.paths)).toEqual(['/batches', '/batches/{batch_id}', '/batches/{batch_id}/cancel']);
    expect(Object.keys(openaiBatchStatusTable).sort()).toEqual(
      statusEnum(doc, openaiBatchKind.operation, openaiBatchKind.status.field),
    );
  });
});
