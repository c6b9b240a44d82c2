// The fixed, seeded job set of the polling-efficiency benchmark. All times are scripted ms
// (what the job would take at a real provider); the mock server compresses them by `speed`.
import { mulberry32 } from './common.mjs';

/** Documented request budgets, per scripted second (see shared/reference/provider-notes.md). */
export const PROVIDER_BUDGETS = {
  check: { perMinute: 200, note: 'Check Pro: 200 requests/min' },
  runflow: { perMinute: 600, note: 'Runflow mock X-RateLimit-Limit: 600/min' },
  supermetrics: { perMinute: 1200, note: 'Supermetrics: "limit your requests to 20 per second"' },
};

const pick = (rng, items) => items[Math.floor(rng() * items.length)];
const logUniform = (rng, lo, hi) => Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)));

/**
 * Builds the job set. Every job is a `timed` script (queued, then running with progress rising to
 * the end), started at `startMs` after the run began (jobs are submitted over time, as in a real
 * system). About a fifth of the jobs answer every status request with `Retry-After: R` (R = 2, 5 or
 * 10 s: the provider says when to look again, as Azure-style status endpoints do); every Runflow job
 * alive during the burst window meets a provider-wide 429 burst (`Retry-After: burstSeconds` for
 * every request during it). A client that honours `Retry-After` never gets a second 429 from it.
 */
export function makePollingPlan({
  seed = 8,
  jobs = 200,
  spanMs = 120_000,
  minRunMs = 3_000,
  maxRunMs = 150_000,
  burstAtMs = 60_000,
  burstSeconds = 15,
} = {}) {
  const rng = mulberry32(seed);
  const plan = [];
  for (let index = 0; index < jobs; index++) {
    const roll = rng();
    const provider = roll < 0.4 ? 'check' : roll < 0.8 ? 'runflow' : 'supermetrics';
    const kind = provider === 'supermetrics' ? 'query' : 'batch';
    const startMs = Math.round(rng() * spanMs);
    const queuedMs = Math.round(500 + rng() * 4_500);
    const runningMs = Math.round(logUniform(rng, minRunMs, maxRunMs));
    const endRoll = rng();
    const end =
      provider === 'supermetrics'
        ? endRoll < 0.9
          ? 'succeeded'
          : 'failed'
        : endRoll < 0.8
          ? 'succeeded'
          : endRoll < 0.9
            ? 'partially_succeeded'
            : 'failed';
    const total =
      provider === 'check'
        ? 10 + Math.floor(rng() * 91)
        : provider === 'runflow'
          ? 5 + Math.floor(rng() * 196)
          : 4 + Math.floor(rng() * 9);
    const hintRoll = rng();
    rng(); // (kept so the seeded sequence, and so the job set, stays the same)
    const retryAfterSeconds = pick(rng, [2, 5, 10]);
    const job = { index, provider, kind, startMs, queuedMs, runningMs, endMs: queuedMs + runningMs, end, total };
    // The provider asks for `Retry-After: R` on this job's status answers.
    if (hintRoll < 0.2) job.hint = { retryAfterSeconds };
    // The provider-wide burst: jobs of Runflow alive during it.
    const endAbs = startMs + job.endMs;
    if (provider === 'runflow' && startMs < burstAtMs + burstSeconds * 1000 && endAbs > burstAtMs) {
      job.burst = { fromAbsMs: burstAtMs, toAbsMs: burstAtMs + burstSeconds * 1000, retryAfterSeconds: burstSeconds };
    }
    plan.push(job);
  }
  plan.sort((a, b) => a.startMs - b.startMs || a.index - b.index);
  return plan;
}

/**
 * The job populations of the schedule comparison (issue: "poll when the job will end"), each built
 * from the same seeded job set so every strategy and population sees the same jobs:
 * - `mix`: the set above as it is (hints, the 429 burst, provider budgets);
 * - `steady`: the same jobs without hints or burst: progress rises steadily to the end;
 * - `bursty`: progress in a few bursts with stalls between them, and one job in eight failing
 *   early (at 20-60% of its planned run);
 * - `noProgress`: running jobs whose counts never move until they end;
 * - `long`: jobs of 10 to 60 minutes (queued 10-60 s) with steady progress, submitted over 5 minutes.
 * Returns the jobs with `phases` (scripted ms) ready for {@link scriptFor}.
 */
export function makePopulation(name, { seed = 8, jobs = 200, spanMs = 120_000, maxRunMs = 150_000, ...rest } = {}) {
  const base = makePollingPlan({ seed, jobs, spanMs, maxRunMs, ...rest });
  const rng = mulberry32(seed * 31 + name.length);
  const plain = base.map(({ hint, burst, ...job }) => job);
  const running = (ms, progress) => ({ state: 'running', ms, progress });
  switch (name) {
    case 'mix':
      return base;
    case 'steady':
      return plain;
    case 'noProgress':
      return plain.map((job) => ({
        ...job,
        phases: [{ state: 'queued', ms: job.queuedMs }, running(job.runningMs, 0)],
      }));
    case 'bursty':
      return plain.map((job) => {
        const early = rng() < 0.125 ? 0.2 + rng() * 0.4 : 1;
        const runningMs = Math.max(1000, Math.round(job.runningMs * early));
        // 2 to 5 bursts, each a tenth of its slot, then a stall; the last burst reaches the level the job ends at.
        const bursts = 2 + Math.floor(rng() * 4);
        const slot = runningMs / bursts;
        const phases = [{ state: 'queued', ms: job.queuedMs }];
        for (let b = 0; b < bursts; b++) {
          const [from, to] = [(b / bursts) * early, ((b + 1) / bursts) * early];
          phases.push(running(Math.round(slot * 0.1), [from, to]), running(Math.round(slot * 0.9), to));
        }
        return {
          ...job,
          runningMs,
          endMs: job.queuedMs + phases.slice(1).reduce((sum, ph) => sum + ph.ms, 0),
          end: early < 1 ? 'failed' : job.end,
          phases,
        };
      });
    case 'long': {
      const longRng = mulberry32(seed * 7);
      return plain
        .map((job) => {
          const queuedMs = Math.round(10_000 + longRng() * 50_000);
          const runningMs = Math.round(logUniform(longRng, 600_000, 3_600_000));
          const startMs = Math.round(longRng() * 300_000);
          return { ...job, startMs, queuedMs, runningMs, endMs: queuedMs + runningMs, end: 'succeeded' };
        })
        .sort((a, b) => a.startMs - b.startMs || a.index - b.index);
    }
    default:
      throw new Error(`unknown population ${name}`);
  }
}

// A rate-limit episode lasts 95% of the Retry-After it announces: a client that waits what it was
// told is never refused again, even when its timer fires a millisecond early.
const WINDOW_SHARE = 0.95;

/**
 * The mock script of a planned job at `speed`. `Retry-After` is sent in real seconds, so it is
 * divided by `speed` (the server compresses time; `speed` divides 1000, so the value is whole ms).
 * The burst window is absolute (`absWindow`, real clock ms from `t0`); the server child converts it.
 * The `Retry-After` of hinted jobs' 200 answers is added by the server child (`retryAfter200`).
 */
export function scriptFor(job, speed, t0) {
  const faults = [];
  if (job.burst) {
    const { fromAbsMs, toAbsMs, retryAfterSeconds } = job.burst;
    faults.push({
      kind: 'rate-limit',
      retryAfter: retryAfterSeconds / speed,
      absWindow: [t0 + fromAbsMs / speed, t0 + (fromAbsMs + (toAbsMs - fromAbsMs) * WINDOW_SHARE) / speed],
    });
  }
  return {
    phases: job.phases ?? [
      { state: 'queued', ms: job.queuedMs },
      { state: 'running', ms: job.runningMs, progress: [0, 1] },
    ],
    end: job.end,
    total: job.total,
    ...(job.end === 'partially_succeeded' ? { failureRate: 0.1 } : {}),
    ...(faults.length > 0 ? { faults } : {}),
  };
}
