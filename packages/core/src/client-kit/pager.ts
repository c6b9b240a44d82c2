import { InvalidResponseError } from '../errors.js';
import { offsetCursor } from '../results/index.js';
import type { ResultContext, ResultPager } from '../source.js';
import {
  fieldAt,
  itemFromKind,
  type JobKind,
  type KindResults,
  kindRequest,
  type PageAt,
  progressFromKind,
} from './kind.js';
import { objectList } from './shape.js';

function pageAt(
  results: Pick<KindResults<unknown, unknown, unknown>, 'paging' | 'maxOffset'>,
  cursor: string | null,
  size: number,
): PageAt {
  const n = results.paging === 'cursor' ? 0 : offsetCursor(cursor);
  const offset = results.paging === 'page' ? n * size : n;
  const room = results.paging === 'offset' ? (results.maxOffset ?? Number.POSITIVE_INFINITY) - offset + 1 : size;
  return { cursor, offset, page: results.paging === 'page' ? n : 0, limit: Math.min(size, room) };
}

/**
 * The {@link ResultPager} of a described job kind (or of `results`, another results description of
 * it, e.g. an endpoint chosen by an option): each page is read with `results.read`, its items taken
 * from `results.items` (a field must hold a list of objects, else `InvalidResponseError` naming it)
 * and normalized with `results.item`. A page with more items than asked for is an
 * `InvalidResponseError`; `jobResults` bounds the stream by the total and refuses cursors that come back.
 */
export function createResultPager<TClient, TRaw, TItem, TOptions extends object = {}>(
  kind: JobKind<TClient, TRaw, TItem, TOptions>,
  client: TClient,
  options?: TOptions,
): ResultPager<TItem>;
export function createResultPager<
  TClient,
  TRaw,
  TKindItem,
  TKindOptions extends object,
  TPage,
  TItem,
  TOptions extends object,
>(
  kind: JobKind<TClient, TRaw, TKindItem, TKindOptions>,
  client: TClient,
  options: TOptions,
  results: KindResults<TClient, TPage, TItem, TOptions>,
): ResultPager<TItem>;
export function createResultPager<TClient, TRaw, TItem>(
  kind: JobKind<TClient, TRaw, TItem, object>,
  client: TClient,
  options: object = {},
  // biome-ignore lint/suspicious/noExplicitAny: the overloads above type the page and the items
  results: KindResults<TClient, any, TItem, object> | undefined = kind.results,
): ResultPager<TItem> {
  if (!results) throw new TypeError(`${String(kind.provider)} ${kind.kind} jobs have no results`);
  return {
    defaultPageSize: results.defaultPageSize,
    maxPageSize: results.maxPageSize,
    async fetchPage(id: string, cursor: string | null, context: ResultContext) {
      const [request, hints] = kindRequest(kind, client, options, context);
      const at = pageAt(results, cursor, context.pageSize);
      const [page, job] = await Promise.all([
        results.read(request, id, at),
        results.total === 'job' && cursor === null ? kind.read(request, id) : undefined,
      ]);
      const { items } = results;
      const raws =
        typeof items === 'function' ? items(page) : objectList(kind.provider, items, fieldAt(page, items) as TItem[]);
      const count = raws.length;
      if (count > at.limit) {
        const asked =
          results.paging === 'cursor' ? `a page of ${at.limit}` : `offsets ${at.offset}-${at.offset + at.limit - 1}`;
        throw new InvalidResponseError(
          `${kind.provider} sent ${count} ${results.item ? 'items' : 'rows'} for ${asked}`,
        );
      }
      const told =
        results.total === 'job'
          ? job === undefined
            ? null
            : progressFromKind(kind, job).total
          : results.total?.(page);
      const total = typeof told === 'number' ? told : null;
      const start = results.paging === 'cursor' ? context.seen : at.offset;
      let next: string | null;
      if (results.paging === 'cursor') {
        const v = results.next === undefined ? undefined : fieldAt(page, results.next);
        next = typeof v === 'string' && v !== '' ? v : null;
      } else {
        const after = at.offset + count;
        const more = results.more?.(page, { ...at, count }) ?? (count > 0 && (total === null || after < total));
        next =
          !more || after > (results.maxOffset ?? Number.POSITIVE_INFINITY)
            ? null
            : String(results.paging === 'page' ? at.page + 1 : after);
      }
      return {
        items: raws.map((raw, i) => itemFromKind(results.item, raw, start + i, page)),
        next,
        total,
        hints: hints(),
      };
    },
  };
}
