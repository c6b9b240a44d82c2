import type { JobSource, SourceContext } from '../source.js';
import { type JobKind, kindRequest, snapshotFromKind } from './kind.js';
import { createResultPager } from './pager.js';
import { paramValidator } from './params.js';

/**
 * The {@link JobSource} of a described job kind: `validateId` from the spec's rules for
 * `operation`, `fetchSnapshot` = `read` + {@link snapshotFromKind}, `cancel` when the kind has one
 * (it resolves `undefined`), and `results` when it has results. `options` reach `read` and `cancel`.
 */
export function createJobSource<TClient, TRaw, TItem, TOptions extends object = {}>(
  kind: JobKind<TClient, TRaw, TItem, TOptions>,
  client: TClient,
  options: TOptions = {} as TOptions,
): JobSource<TRaw, TItem> {
  const { cancel, requestsPerPoll } = kind;
  return {
    provider: kind.provider,
    kind: kind.kind,
    ...(requestsPerPoll === undefined ? {} : { requestsPerPoll }),
    validateId: paramValidator(kind.paramRules, kind.operation, kind.idParam),
    ...(kind.results ? { results: createResultPager(kind, client) } : {}),
    async fetchSnapshot(id, context) {
      const [request, hints] = kindRequest(kind, client, options, context);
      const raw = await kind.read(request, id);
      return { snapshot: snapshotFromKind(kind, raw, context.now(), id), hints: hints() };
    },
    ...(cancel
      ? {
          async cancel(id: string, context: SourceContext) {
            await cancel.call(kind, kindRequest(kind, client, options, context)[0], id);
            return undefined;
          },
        }
      : {}),
  };
}
