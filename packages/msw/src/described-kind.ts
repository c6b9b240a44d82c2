// One job kind of a provider made with defineMockProvider, ready to serve: the raw statuses the mock
// shows in each state, taken from the description's status table (an end only with the statuses
// whose body reads back as that end), its items' statuses, and its bodies (described-body.ts).
import type { ItemStatus, JobStatus } from '@batchwatch/core';
import { type JobKind, statusFromKind } from '@batchwatch/core/client-kit';
import type { AnyKind, MockKindOptions } from './described.js';
import { renderBody, renderPage } from './described-body.js';
import {
  type EngineApi,
  type ItemVocabulary,
  type JobState,
  type JobView,
  type MockJob,
  type ProviderAdapter,
  type Reply,
  type RouteRequest,
  statusIn,
  type Vocabulary,
} from './providers/shared.js';
import type { JobEnd } from './script.js';

const ENDS: readonly JobEnd[] = ['succeeded', 'partially_succeeded', 'failed', 'cancelled'];

/** The item vocabulary of a kind whose results have an item status table: the first raw status of each state. */
function itemVocabulary(kind: AnyKind): ItemVocabulary<string> | undefined {
  const table = kind.results?.item?.status.table;
  if (!table) return undefined;
  const by = new Map<ItemStatus, string[]>();
  for (const [raw, status] of Object.entries<ItemStatus>(table)) by.set(status, [...(by.get(status) ?? []), raw]);
  const first = (...statuses: ItemStatus[]) => statuses.map((s) => by.get(s)).find((l) => l !== undefined);
  const pending = first('pending', 'unknown') ?? ['pending'];
  return {
    queued: pending as [string, ...string[]],
    running: pending as [string, ...string[]],
    succeeded: (first('succeeded') ?? ['succeeded']) as [string, ...string[]],
    failed: (first('failed') ?? ['failed']) as [string, ...string[]],
    cancelled: (first('cancelled', 'skipped', 'failed') ?? ['cancelled']) as [string, ...string[]],
  };
}

/** One kind, ready to serve: its vocabulary and how its bodies are rendered. */
export class DescribedKind {
  readonly name: string;
  readonly kind: AnyKind;
  readonly options: MockKindOptions;
  readonly statuses: Vocabulary<string>;
  readonly ends: JobEnd[];
  readonly items: ItemVocabulary<string> | undefined;
  readonly error: ProviderAdapter['error'];

  /**
   * Throws a TypeError when no documented status reads as queued or running, or when
   * `operations.cancel` is set but no documented status reads as cancelled.
   */
  constructor(options: MockKindOptions, unknownStatus: string, error: ProviderAdapter['error']) {
    this.options = options;
    this.error = error;
    this.kind = options.kind;
    this.name = options.kind.kind;
    const by = new Map<JobStatus, string[]>();
    for (const [raw, status] of Object.entries(this.kind.status.table))
      by.set(status, [...(by.get(status) ?? []), raw]);
    const queued = by.get('queued') ?? by.get('running');
    const running = by.get('running') ?? by.get('queued');
    if (!queued || !running) {
      throw new TypeError(
        `${this.kind.provider} ${this.name}: no documented status reads as queued or running, so the mock cannot show a job before its end`,
      );
    }
    const states: Partial<Record<JobState, string[]>> = { queued, running };
    this.ends = [];
    for (const end of ENDS) {
      const candidates = [
        ...(by.get(end) ?? []),
        ...(end === 'partially_succeeded' ? (by.get('succeeded') ?? []) : []),
      ];
      // Only statuses whose body reads back as the end (after `refine`) are shown for it.
      const shown = candidates.filter((raw) => this.#readsAs(end, raw));
      if (shown.length > 0) {
        states[end] = shown;
        this.ends.push(end);
      }
    }
    const fill = (state: JobState) => (states[state] ?? [unknownStatus]) as [string, ...string[]];
    this.statuses = {
      queued: fill('queued'),
      running: fill('running'),
      succeeded: fill('succeeded'),
      partially_succeeded: fill('partially_succeeded'),
      failed: fill('failed'),
      cancelled: fill('cancelled'),
    };
    if (options.operations?.cancel !== undefined && !this.ends.includes('cancelled')) {
      throw new TypeError(
        `${this.kind.provider} ${this.name}: operations.cancel is set but no documented status reads as cancelled`,
      );
    }
    this.items = itemVocabulary(this.kind);
  }

  /** Whether a body showing `raw` at the end `end` reads as `end` (the description's table and refine). */
  #readsAs(end: JobEnd, raw: string): boolean {
    const failed = end === 'failed' ? 10 : end === 'partially_succeeded' ? 2 : 0;
    const view: JobView = {
      state: end,
      raw,
      total: 10,
      done: end === 'cancelled' ? 5 : 10,
      failed,
      running: 0,
      createdAt: 0,
      startedAt: 0,
      finishedAt: 0,
      cancelledAt: end === 'cancelled' ? 0 : undefined,
    };
    try {
      return (
        statusFromKind(this.kind as JobKind<unknown, unknown>, this.body({ id: 'probe', meta: {} }, view, raw)) === end
      );
    } catch {
      return false;
    }
  }

  /** The job's body in `view` (see {@link renderBody}); the raw status defaults to the vocabulary's. */
  body(
    job: Pick<MockJob, 'id' | 'meta'>,
    view: JobView,
    rawStatus = statusIn(this.statuses, view),
  ): Record<string, unknown> {
    return renderBody(this, job, view, rawStatus);
  }

  /** A page of results (see {@link renderPage}); `undefined` when the description pages no items. */
  page(job: MockJob, view: JobView, engine: EngineApi, req: RouteRequest): Reply | undefined {
    return renderPage(this, job, view, engine, req);
  }
}
