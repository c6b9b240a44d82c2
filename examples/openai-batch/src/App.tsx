// The page: one row per OpenAI batch, each watched with `useBatch` through this page's own server
// (`remoteSource`): the key stays on the server, and the page never calls OpenAI (its CSP says so too).
import { remoteSource, type UseJobOptions, useBatch } from '@batchwatch/react';
import { useQuery } from '@tanstack/react-query';
import type { PageBatch } from './server';

const api = remoteSource('/api/batchwatch');
const batches = api('openai', 'batch', { cancellable: true });
const POLL: UseJobOptions = { minIntervalMs: 250, initialIntervalMs: 500, maxIntervalMs: 2_000 };

async function fetchBatches(): Promise<PageBatch[]> {
  const response = await fetch('/api/batches', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET /api/batches answered ${response.status}`);
  return ((await response.json()) as { batches: PageBatch[] }).batches;
}

function BatchRow({ batch }: { batch: PageBatch }) {
  const { status, snapshot, progress, isTerminal, error, cancel } = useBatch(batches, batch.id, POLL);
  const percent = progress?.fraction == null ? null : Math.round(progress.fraction * 100);
  return (
    <tr data-batch-id={batch.id} data-status={error ? 'error' : (status ?? 'loading')}>
      <td>
        <div>{batch.label}</div>
        <code>{batch.id}</code>
      </td>
      <td className="raw">{snapshot?.rawStatus ?? '…'}</td>
      <td className="status">{status ?? 'loading'}</td>
      <td>
        <progress max={100} value={percent ?? undefined} aria-label={`${batch.label} progress`} />
        <span className="counts">
          {progress ? `${progress.completed}/${progress.total ?? '?'}` : ''}
          {progress && progress.failed > 0 ? ` (${progress.failed} failed)` : ''}
        </span>
      </td>
      <td className="failure">{error?.message ?? snapshot?.failure?.message ?? ''}</td>
      <td>
        <button type="button" disabled={isTerminal || status === undefined} onClick={() => void cancel()}>
          Cancel
        </button>
      </td>
    </tr>
  );
}

/** The batch table. */
export function App() {
  const list = useQuery({ queryKey: ['batches'], queryFn: fetchBatches, staleTime: Number.POSITIVE_INFINITY });
  if (list.error) return <p role="alert">{list.error.message}</p>;
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', margin: '2rem' }}>
      <h1>OpenAI batches</h1>
      <p>
        Watched with <code>useBatch</code> through this page's server; the OpenAI client, its job kind and the mock
        behind it come from <code>batchwatch generate</code>.
      </p>
      <table>
        <thead>
          <tr>
            <th>batch</th>
            <th>OpenAI status</th>
            <th>status</th>
            <th>progress</th>
            <th>failure</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((batch) => (
            <BatchRow key={batch.id} batch={batch} />
          ))}
        </tbody>
      </table>
    </main>
  );
}
