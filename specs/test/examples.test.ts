import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec, PROVIDERS, specsDir } from './spec-validator.js';

interface ManifestEntry {
  file: string;
  operationId?: string;
  status?: number;
  contentType?: string;
  webhook?: string;
  source: string;
  valid?: boolean;
}

describe.each(PROVIDERS)('%s examples', (provider) => {
  const validator = loadSpec(provider);
  const manifest = JSON.parse(
    readFileSync(resolve(specsDir, provider, 'examples', 'manifest.json'), 'utf8'),
  ) as ManifestEntry[];

  it('should list at least one example copied from a seed document', () => {
    expect(manifest.some((e) => e.source.startsWith('seed'))).toBe(true);
  });

  it.each(manifest.map((e) => [e.file, e] as const))('should validate %s against its schema', (_file, entry) => {
    const body = JSON.parse(readFileSync(resolve(specsDir, provider, 'examples', entry.file), 'utf8'));
    const validate = entry.webhook
      ? validator.webhook(entry.webhook)
      : validator.response(entry.operationId!, entry.status!, entry.contentType);
    const ok = validate(body);
    if (entry.valid === false) {
      expect(ok, `${entry.file} is documented as invalid`).toBe(false);
    } else {
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });
});
