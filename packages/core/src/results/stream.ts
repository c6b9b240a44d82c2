// A job's results as a lazy async iterable over a PageRun: items one by one, pages, toArray.
import { ValidationError } from '../errors.js';
import type { ResultItem, ResultPager } from '../source.js';
import { ResultLimitError } from './errors.js';
import { PageRun } from './page-run.js';
import type { ResolvedResults, ResultPageInfo, ResultStream } from './types.js';

export class Stream<TRaw> implements ResultStream<TRaw> {
  constructor(
    readonly pager: ResultPager<TRaw>,
    readonly id: string,
    readonly options: ResolvedResults,
  ) {}

  async *pages(): AsyncGenerator<ResultPageInfo<TRaw>, void, undefined> {
    const run = new PageRun(this.pager, this.id, this.options);
    try {
      for (;;) {
        const page = await run.next();
        if (!page) return;
        yield page;
      }
    } finally {
      await run.stop();
    }
  }

  // Hand-written rather than a generator: one settled promise per buffered item, no generator frame.
  [Symbol.asyncIterator](): AsyncIterator<ResultItem<TRaw>> {
    const pages = this.pages();
    const { signal } = this.options;
    let items: ResultItem<TRaw>[] = [];
    let i = 0;
    let finished = false;
    const end = async (): Promise<IteratorResult<ResultItem<TRaw>>> => {
      finished = true;
      // Stryker disable next-line ArrayDeclaration: memory only: nothing reads items once finished is set
      items = [];
      await pages.return(undefined);
      return { done: true, value: undefined };
    };
    return {
      next: async () => {
        for (;;) {
          if (finished) return { done: true, value: undefined };
          if (signal?.aborted) {
            await end();
            throw signal.reason;
          }
          if (i < items.length) {
            const value = items[i] as ResultItem<TRaw>;
            // Drop the page's hold on a delivered item, so what the consumer lets go can be collected.
            items[i++] = undefined as never;
            return { done: false, value };
          }
          // Stryker disable next-line ArrayDeclaration: memory only: lets the consumed page go while the next one is fetched
          items = [];
          const step = await pages.next();
          if (step.done) return end();
          items = step.value.items;
          i = 0;
        }
      },
      return: end,
    };
  }

  async toArray(options: { max: number }): Promise<ResultItem<TRaw>[]> {
    const max = (options as { max?: unknown } | undefined)?.max;
    if (typeof max !== 'number' || !(max === Number.POSITIVE_INFINITY || (Number.isInteger(max) && max >= 0))) {
      throw new ValidationError('max', 'an integer >= 0 or Infinity (required: how many items you allow in memory)', {
        received: String(max),
      });
    }
    const out: ResultItem<TRaw>[] = [];
    for await (const item of this) {
      if (out.length >= max) throw new ResultLimitError(max);
      out.push(item);
    }
    return out;
  }

  collect(options: { max: number }): Promise<ResultItem<TRaw>[]> {
    return this.toArray(options);
  }
}
