// The export names of a generated provider and of each of its job kinds.
import type { PlannedJob } from './jobs.js';

/** The names a provider's exports are built from. */
export interface Names {
  /** As given, e.g. `openai`: the `provider` of snapshots and errors. */
  readonly provider: string;
  /** `openai` -> `openai`, `my-api` -> `myApi`. */
  readonly camel: string;
  /** `openai` -> `Openai`, `my-api` -> `MyApi`. */
  readonly pascal: string;
  /** `openai` -> `OPENAI`, `my-api` -> `MY_API`. */
  readonly constant: string;
}

const parts = (text: string) => text.split(/[^A-Za-z0-9]+/).filter(Boolean);
const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

/** The export names of a provider (`provider` is a lower-case name such as `openai` or `my-api`). */
export function namesOf(provider: string): Names {
  const w = parts(provider).map((p) => p.toLowerCase());
  const pascal = w.map(cap).join('');
  return {
    provider,
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    pascal,
    constant: w.map((p) => p.toUpperCase()).join('_'),
  };
}

const pascalOf = (text: string) => parts(text).map(cap).join('');

/** The names of one job kind's exports. */
export function jobNames(names: Names, job: PlannedJob) {
  const kindPascal = pascalOf(job.kind);
  return {
    /** `OpenaiBatch`: the raw body type. */
    raw: `${names.pascal}${kindPascal}`,
    /** `KnownOpenaiBatchStatus`: the documented statuses. */
    statuses: `Known${names.pascal}${kindPascal}Status`,
    /** `openaiBatchOperations`: the spec operations of the kind. */
    operations: `${names.camel}${kindPascal}Operations`,
    /** `openaiBatchStatusTable`. */
    table: `${names.camel}${kindPascal}StatusTable`,
    /** `openaiBatchKind`. */
    kind: `${names.camel}${kindPascal}Kind`,
    /** `openaiBatch`: the source builder. */
    source: `${names.camel}${kindPascal}`,
    /** `batch.kind.ts`. */
    file: `${job.kind.replace(/[^a-z0-9_-]/g, '-')}.kind.ts`,
  };
}
