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
    phases: [
      { state: 'queued', ms: job.queuedMs },
      { state: 'running', ms: job.runningMs, progress: [0, 1] },
    ],
    end: job.end,
    total: job.total,
    ...(job.end === 'partially_succeeded' ? { failureRate: 0.1 } : {}),
    ...(faults.length > 0 ? { faults } : {}),
  };
}
