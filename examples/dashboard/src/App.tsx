import {
  type JobEstimate,
  type JobResult,
  type JobSnapshot,
  type JobStatus,
  type RemoteJobSource,
  remoteSource,
  type UseJobOptions,
  useBatch,
  useJobs,
} from '@batchwatch/react';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useMemo, useRef, useState } from 'react';

/** One row of `GET /api/jobs` (see server.mjs). */
export interface DashboardJob {
  provider: string;
  kind: string;
  id: string;
  label: string;
  cancellable: boolean;
}

interface JobList {
  jobs: DashboardJob[];
  speed: number;
}

interface WatchedJob {
  job: DashboardJob;
  source: RemoteJobSource;
}

// Every request of this page goes to its own server: the job list and the job status handler.
const api = remoteSource('/api/batchwatch');

// The same options for the header (useJobs) and the rows (useBatch): both watch one shared query per job.
const POLL: UseJobOptions = { minIntervalMs: 500, initialIntervalMs: 1_000, maxIntervalMs: 5_000 };

const STATUS_LABEL: Record<JobStatus, string> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  partially_succeeded: 'partially succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  unknown: 'unknown',
};
const STATUS_ORDER: readonly JobStatus[] = [
  'running',
  'queued',
  'succeeded',
  'partially_succeeded',
  'failed',
  'cancelled',
  'unknown',
];

const PROVIDER_NAME: Record<string, string> = { supermetrics: 'Supermetrics', runflow: 'Runflow', check: 'Check' };
const providerName = (provider: string) => PROVIDER_NAME[provider] ?? provider;

async function fetchJobs(): Promise<JobList> {
  const response = await fetch('/api/jobs', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET /api/jobs answered ${response.status}`);
  const body = (await response.json()) as Partial<JobList>;
  if (!Array.isArray(body.jobs)) throw new Error('GET /api/jobs sent no job list');
  return { jobs: body.jobs, speed: typeof body.speed === 'number' ? body.speed : 1 };
}

/** The current time, updated every `intervalMs`: elapsed times and poll countdowns move with it. */
function useNow(intervalMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * The time left until an estimated end, to the second as the estimate is no more precise: `12s`,
 * `1m20s`, `2h05m` (as the CLI's ETA column writes it).
 */
function formatRemaining(ms: number): string {
  const seconds = Math.round(Math.max(0, ms) / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} m ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
}

const percent = (fraction: number | null | undefined) =>
  fraction === null || fraction === undefined ? null : Math.round(fraction * 100);

function ProgressBar({ fraction, status, label }: { fraction: number | null; status: string; label: string }) {
  const value = percent(fraction);
  return (
    <div
      className={`bar bar-${status}${value === null ? ' bar-indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value ?? undefined}
    >
      <div className="bar-fill" style={{ width: `${value ?? 100}%` }} />
    </div>
  );
}

function StatusBadge({
  status,
  error,
  rawStatus,
}: {
  status: JobStatus | undefined;
  error: Error | null;
  rawStatus?: string | null;
}) {
  if (error) return <span className="badge badge-error">error</span>;
  if (!status) return <span className="badge badge-loading">loading</span>;
  return (
    <span className={`badge badge-${status}`} title={rawStatus ? `the provider said ${rawStatus}` : undefined}>
      {STATUS_LABEL[status]}
    </span>
  );
}

function elapsed(snapshot: JobSnapshot<unknown> | undefined, firstSeen: number, now: number): string {
  if (!snapshot) return '—';
  const from = Date.parse(snapshot.timestamps.createdAt ?? '') || firstSeen;
  const finished = Date.parse(snapshot.timestamps.finishedAt ?? '');
  const to = snapshot.isTerminal ? finished || snapshot.observedAt : now;
  return formatDuration(to - from);
}

function nextPoll(result: JobResult<unknown>, now: number): string {
  if (result.error) return 'stopped';
  if (result.isTerminal) return 'done';
  const at = result.nextPollAt;
  if (at === null) return '—';
  const inMs = at - now;
  return inMs <= 50 ? 'now' : `in ${(inMs / 1000).toFixed(1)} s`;
}

const CONFIDENCE_NOTE: Record<JobEstimate['confidence'], string> = {
  low: 'a rough estimate (low confidence: the count has moved only a few times)',
  medium: 'medium confidence',
  high: 'high confidence',
};

/**
 * The ETA cell: the time left until core's estimated end (`result.estimate`), counting down with
 * the page's clock, `~` in front when the estimate is rough. Empty when there is none (queued, no
 * counts, too few changes yet) and once the job ended.
 */
function Eta({ result, now }: { result: JobResult<unknown>; now: number }) {
  const { estimate } = result;
  if (!estimate || result.isTerminal || result.status !== 'running') return null;
  const rough = estimate.confidence === 'low';
  const rate = estimate.itemsPerSecond;
  const title = `Ends about ${new Date(estimate.endsAt).toLocaleTimeString()} at ${
    rate >= 10 ? Math.round(rate) : rate.toPrecision(2)
  } items/s; ${CONFIDENCE_NOTE[estimate.confidence]}`;
  return (
    <span className={`eta eta-${estimate.confidence}`} title={title}>
      {rough ? '~' : ''}
      {formatRemaining(estimate.endsAt - now)}
    </span>
  );
}

/** One point of a row's progress history: when a snapshot was seen and its progress fraction. */
interface ProgressPoint {
  at: number;
  fraction: number;
}

/** Points kept per row; past it, every other point goes, so the line still spans the whole run. */
const HISTORY_POINTS = 120;

/**
 * The progress of every snapshot this row has seen (the hooks hand over a new snapshot only when
 * the job changed), for the sparkline. Snapshots without a fraction (no total yet) add nothing.
 */
function useProgressHistory(snapshot: JobSnapshot<unknown> | undefined): readonly ProgressPoint[] {
  const [seen, setSeen] = useState<{ snapshot?: JobSnapshot<unknown>; points: readonly ProgressPoint[] }>({
    points: [],
  });
  if (snapshot === seen.snapshot) return seen.points;
  // A new snapshot: store it during render (React re-renders at once, before painting).
  let points = seen.points;
  const fraction = snapshot?.progress.fraction;
  if (snapshot && typeof fraction === 'number') {
    points = [...points, { at: snapshot.observedAt, fraction }];
    if (points.length > HISTORY_POINTS) points = points.filter((_, i) => i % 2 === 0 || i === points.length - 1);
  }
  setSeen({ snapshot, points });
  return points;
}

const SPARK_WIDTH = 72;
const SPARK_HEIGHT = 20;

/**
 * Progress over time as a tiny inline SVG: the fraction of each snapshot the row has seen, from
 * the first one to now (a flat tail while nothing moves), or to the last one once the job ended.
 */
function Sparkline({
  points,
  until,
  status,
  label,
}: {
  points: readonly ProgressPoint[];
  until: number;
  status: string;
  label: string;
}) {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) return null;
  const span = Math.max(1, until - first.at);
  const x = (at: number) => ((Math.min(at, until) - first.at) / span) * SPARK_WIDTH;
  const y = (fraction: number) => 1 + (1 - fraction) * (SPARK_HEIGHT - 2);
  const line = [...points, { at: until, fraction: last.fraction }]
    .map((p) => `${x(p.at).toFixed(1)},${y(p.fraction).toFixed(1)}`)
    .join(' ');
  const title = `${label}: ${percent(first.fraction)}% to ${percent(last.fraction)}% in ${formatDuration(
    until - first.at,
  )}${status === 'running' || status === 'queued' ? '' : `, then ${STATUS_LABEL[status as JobStatus] ?? status}`}`;
  return (
    <svg
      className={`spark spark-${status}`}
      role="img"
      width={SPARK_WIDTH}
      height={SPARK_HEIGHT}
      viewBox={`0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`}
    >
      <title>{title}</title>
      <polygon className="spark-area" points={`0,${SPARK_HEIGHT} ${line} ${SPARK_WIDTH},${SPARK_HEIGHT}`} />
      <polyline className="spark-line" points={line} />
    </svg>
  );
}

function CancelButton({ job, result }: { job: DashboardJob; result: JobResult<unknown> }) {
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  if (!result.canCancel) {
    const why = `${providerName(job.provider)} ${job.kind} jobs cannot be cancelled: the provider has no cancel API`;
    return (
      <span className="tip" title={why}>
        <button type="button" className="cancel" disabled aria-label={`Cancel ${job.label} (not supported)`}>
          Cancel
        </button>
      </span>
    );
  }
  const onCancel = () => {
    setPending(true);
    setFailure(null);
    result.cancel().then(
      () => setPending(false),
      (error: unknown) => {
        setPending(false);
        setFailure(error instanceof Error ? error.message : String(error));
      },
    );
  };
  return (
    <span className="tip" title={failure ?? undefined}>
      <button
        type="button"
        className={`cancel${failure ? ' cancel-failed' : ''}`}
        disabled={pending || result.isTerminal || !result.status}
        onClick={onCancel}
        aria-label={`Cancel ${job.label}`}
      >
        {pending ? 'Cancelling…' : failure ? 'Retry cancel' : 'Cancel'}
      </button>
    </span>
  );
}

function JobRow({ job, source, now }: WatchedJob & { now: number }) {
  const result = useBatch(source, job.id, POLL);
  const firstSeen = useRef(Date.now()).current;
  const { snapshot, status, progress, error } = result;
  const total = progress?.total ?? null;
  const history = useProgressHistory(snapshot);
  const ended = result.isTerminal || error !== null;
  return (
    <tr data-job-id={job.id} data-provider={job.provider} data-status={error ? 'error' : (status ?? 'loading')}>
      <td>
        <span className={`provider provider-${job.provider}`}>{providerName(job.provider)}</span>
      </td>
      <td className="kind col-kind">{job.kind}</td>
      <td className="job">
        <div className="job-label">{job.label}</div>
        <code className="job-id" title={job.id}>
          {job.id}
        </code>
        {error && <div className="job-error">{error.message}</div>}
      </td>
      <td>
        <StatusBadge status={status} error={error} rawStatus={snapshot?.rawStatus} />
      </td>
      <td>
        <div className="progress">
          <ProgressBar
            fraction={progress?.fraction ?? null}
            status={error ? 'error' : (status ?? 'loading')}
            label={`${job.label} progress`}
          />
          <span className="percent">{percent(progress?.fraction) ?? '—'}%</span>
        </div>
      </td>
      <td className="col-history">
        <Sparkline
          points={history}
          until={ended ? (history.at(-1)?.at ?? now) : now}
          status={error ? 'error' : (status ?? 'loading')}
          label={`${job.label} progress over time`}
        />
      </td>
      <td className="counts">
        {progress ? (
          <>
            <span>
              {progress.completed}/{total ?? '?'}
            </span>
            {progress.failed > 0 && <span className="failed-count">{progress.failed} failed</span>}
          </>
        ) : (
          '—'
        )}
      </td>
      <td
        className="num col-elapsed"
        title={snapshot?.timestamps.createdAt ? 'since the job was created' : 'since this page first saw it'}
      >
        {elapsed(snapshot, firstSeen, now)}
      </td>
      <td className="num col-eta">
        <Eta result={result} now={now} />
      </td>
      <td className={`num next col-next${result.pollError ? ' retrying' : ''}`}>
        {nextPoll(result, now)}
        {result.pollError ? <span title={String(result.pollError)}> (retrying)</span> : null}
      </td>
      <td className="action">
        <CancelButton job={job} result={result} />
      </td>
    </tr>
  );
}

function Summary({ watched }: { watched: readonly WatchedJob[] }) {
  const all = useJobs(
    watched.map(({ job, source }) => ({ source, id: job.id })),
    POLL,
  );
  const { progress } = all;
  // Two measures (see useJobs' AggregateProgress): items done over items total, where a job that
  // ended early counts only the items it finished; and jobs ended over jobs.
  return (
    <section className="summary" aria-label="All jobs">
      <div className="summary-progress">
        <div className="summary-numbers">
          <strong>{percent(progress.fraction) ?? 0}%</strong> of items done · {progress.completed}
          {progress.total === null ? '' : `/${progress.total}`} items
          {progress.failed > 0 ? `, ${progress.failed} failed` : ''}
        </div>
        <ProgressBar
          fraction={progress.fraction}
          status={all.allTerminal ? 'succeeded' : 'running'}
          label="Items done"
        />
        <div className="summary-numbers summary-jobs">
          <strong>
            {progress.jobsEnded} of {watched.length}
          </strong>{' '}
          jobs ended
        </div>
        <ProgressBar
          fraction={progress.jobsFraction}
          status={all.allTerminal ? 'succeeded' : 'running'}
          label="Jobs ended"
        />
      </div>
      <ul className="chips">
        {STATUS_ORDER.filter((s) => all.counts[s] > 0).map((s) => (
          <li key={s} className={`badge badge-${s}`}>
            {all.counts[s]} {STATUS_LABEL[s]}
          </li>
        ))}
        {all.counts.pending > 0 && <li className="badge badge-loading">{all.counts.pending} loading</li>}
      </ul>
    </section>
  );
}

function Dashboard({ list }: { list: JobList }) {
  const now = useNow(250);
  const watched = useMemo(
    () => list.jobs.map((job) => ({ job, source: api(job.provider, job.kind, { cancellable: job.cancellable }) })),
    [list.jobs],
  );
  return (
    <>
      <Summary watched={watched} />
      <div className="table-box">
        <table className="jobs">
          <thead>
            <tr>
              <th>Provider</th>
              <th className="col-kind">Kind</th>
              <th>Job</th>
              <th>Status</th>
              <th>Progress</th>
              <th className="col-history">History</th>
              <th>Items</th>
              <th className="num col-elapsed">Elapsed</th>
              <th className="num col-eta" title="Time left until the estimated end; ~ marks a rough estimate">
                ETA
              </th>
              <th className="num col-next">Next poll</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {watched.map(({ job, source }) => (
              <JobRow key={`${job.provider}/${job.kind}/${job.id}`} job={job} source={source} now={now} />
            ))}
          </tbody>
        </table>
      </div>
      <footer>
        This page talks only to its own server (<code>/api/jobs</code>, <code>/api/batchwatch</code>); the provider keys
        stay there. Mock providers run at {list.speed}× speed.
      </footer>
    </>
  );
}

function Shell({ children }: { children: ReactNode }) {
  return (
    <main>
      <header className="top">
        <h1>batchwatch</h1>
        <p>Supermetrics, Runflow and Check jobs, watched with @batchwatch/react</p>
      </header>
      {children}
    </main>
  );
}

export function App() {
  const list = useQuery({ queryKey: ['dashboard', 'jobs'], queryFn: fetchJobs, staleTime: Number.POSITIVE_INFINITY });
  let body: ReactNode;
  if (list.error) body = <p className="notice notice-error">Cannot load the job list: {list.error.message}</p>;
  else if (!list.data) body = <p className="notice">Loading jobs…</p>;
  else body = <Dashboard list={list.data} />;
  return <Shell>{body}</Shell>;
}
