// Validates JSON bodies against the response schemas of specs/<provider>/openapi.yaml with ajv,
// the way a provider response would have to look.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export const specsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PROVIDERS = ['supermetrics', 'runflow', 'check'] as const;
export type Provider = (typeof PROVIDERS)[number];

type Json = Record<string, any>;

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export interface SpecValidator {
  spec: Json;
  /** Validator for the body of `operationId`'s response `status` (content type defaults to application/json). */
  response(operationId: string, status: number | string, contentType?: string): ValidateFunction;
  /** Validator for a webhook's request body. */
  webhook(name: string): ValidateFunction;
}

export function loadSpec(provider: Provider): SpecValidator {
  const spec = parse(readFileSync(resolve(specsDir, provider, 'openapi.yaml'), 'utf8')) as Json;
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  addFormats.default(ajv);
  ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
  ajv.addVocabulary([
    'openapi',
    'info',
    'jsonSchemaDialect',
    'servers',
    'paths',
    'webhooks',
    'components',
    'security',
    'tags',
  ]);
  ajv.addSchema(spec, 'spec');
  const find = (operationId: string): [string, string] => {
    for (const [path, item] of Object.entries<Json>(spec.paths ?? {})) {
      for (const [method, op] of Object.entries<Json>(item)) {
        if (op && typeof op === 'object' && op.operationId === operationId) return [path, method];
      }
    }
    throw new Error(`${provider}: no operation ${operationId}`);
  };
  return {
    spec,
    response(operationId, status, contentType = 'application/json') {
      const [path, method] = find(operationId);
      const response = spec.paths[path][method].responses?.[String(status)];
      if (!response) throw new Error(`${provider} ${operationId}: no ${status} response in the spec`);
      const ref = `spec#/${pointer('paths', path, method, 'responses', String(status))}`;
      // A response may itself be a $ref into components/responses.
      const base = response.$ref ? `spec${response.$ref}` : ref;
      return ajv.compile({ $ref: `${base}/${pointer('content', contentType, 'schema')}` });
    },
    webhook(name) {
      return ajv.compile({
        $ref: `spec#/${pointer('webhooks', name, 'post', 'requestBody', 'content', 'application/json', 'schema')}`,
      });
    },
  };
}
