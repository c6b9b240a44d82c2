import { describe, expect, it } from 'vitest';
import { mean, median, mulberry32, percentile, ratio } from '../lib/common.mjs';
import { makePollingPlan, makePopulation, PROVIDER_BUDGETS, scriptFor } from '../lib/plan.mjs';
import { goalRows, renderReport } from '../lib/report.mjs';
import { pollingSvg } from '../lib/svg.mjs';
import fixture from './fixtures/results.json' with { type: 'json' };

describe('statistics', () => {
  it('should interpolate percentiles like a spreadsheet', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBeCloseTo(50.5);
    expect(percentile(values, 95)).toBeCloseTo(95.05);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(mean([1, 2, 3, 6])).toBe(3);
  });

  it('should give null for a ratio against nothing', () => {
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(3, 2)).toBe(1.5);
  });

  it('should repeat the same random sequence for the same seed', () => {
    const a = mulberry32(8);
    const b = mulberry32(8);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(seqA.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

describe('the polling job set', () => {
  const plan = makePollingPlan();

  it('should be the same 200 jobs on every run', () => {
    expect(makePollingPlan()).toEqual(plan);
    expect(plan).toHaveLength(200);
    expect(new Set(plan.map((j) => j.index)).size).toBe(200);
  });

  it('should mix providers, durations, hints and a burst', () => {
    const providers = new Set(plan.map((j) => j.provider));
    expect([...providers].sort()).toEqual(Object.keys(PROVIDER_BUDGETS).sort());
    const durations = plan.map((j) => j.endMs);
    expect(Math.min(...durations)).toBeLessThan(10_000);
    expect(Math.max(...durations)).toBeGreaterThan(60_000);
    const hinted = plan.filter((j) => j.hint).length;
    expect(hinted).toBeGreaterThan(20);
    expect(hinted).toBeLessThan(60);
    const burst = plan.filter((j) => j.burst);
    expect(burst.length).toBeGreaterThan(5);
    for (const job of burst) {
      expect(job.provider).toBe('runflow');
      expect(job.startMs).toBeLessThan(job.burst.toAbsMs);
      expect(job.startMs + job.endMs).toBeGreaterThan(job.burst.fromAbsMs);
    }
  });

  it('should be sorted by start time', () => {
    const starts = plan.map((j) => j.startMs);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });
});

describe('the job populations', () => {
  const names = ['mix', 'steady', 'bursty', 'noProgress', 'long'];

  it('should build every population from the same seeded jobs', () => {
    const mix = makePopulation('mix');
    expect(mix).toEqual(makePollingPlan());
    for (const name of names) {
      const jobs = makePopulation(name);
      expect(jobs).toHaveLength(200);
      expect(makePopulation(name)).toEqual(jobs);
      expect(new Set(jobs.map((j) => j.provider))).toEqual(new Set(mix.map((j) => j.provider)));
    }
  });

  it('should give each population its shape', () => {
    expect(makePopulation('steady').some((j) => j.hint || j.burst)).toBe(false);
    for (const job of makePopulation('noProgress')) {
      expect(job.phases.at(-1)).toEqual({ state: 'running', ms: job.runningMs, progress: 0 });
    }
    const bursty = makePopulation('bursty');
    expect(bursty.filter((j) => j.end === 'failed').length).toBeGreaterThan(
      makePopulation('steady').filter((j) => j.end === 'failed').length,
    );
    for (const job of bursty) {
      const ms = job.phases.reduce((sum, phase) => sum + phase.ms, 0);
      expect(ms).toBe(job.endMs);
      expect(job.phases.some((phase) => typeof phase.progress === 'number')).toBe(true);
    }
    for (const job of makePopulation('long')) {
      expect(job.runningMs).toBeGreaterThanOrEqual(600_000);
      expect(job.runningMs).toBeLessThanOrEqual(3_600_000);
    }
    expect(() => makePopulation('nope')).toThrow('unknown population');
  });

  it('should play the phases a population gives', () => {
    const job = makePopulation('noProgress')[0];
    expect(scriptFor(job, 4, 0).phases).toBe(job.phases);
  });
});

describe('the polling picture', () => {
  it('should draw one panel per population with a point per strategy, the oracle as a square', () => {
    const svg = pollingSvg(fixture.results.polling.populations);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const pop of fixture.results.polling.populations) {
      expect(svg).toContain(pop.label);
      for (const st of pop.strategies) expect(svg).toContain(`<title>${st.label.replace(/&/g, '&amp;')}:`);
    }
    expect(svg.match(/<rect x=/g)?.length).toBeGreaterThanOrEqual(fixture.results.polling.populations.length);
  });
});

describe('scriptFor', () => {
  const plan = makePollingPlan();
  const burstJob = plan.find((j) => j.burst);

  it('should compress Retry-After by the speed, to whole milliseconds', () => {
    for (const speed of [2, 4, 5, 8, 10]) {
      const fault = scriptFor(burstJob, speed, 0).faults[0];
      expect(fault.kind).toBe('rate-limit');
      expect(fault.retryAfter * speed).toBe(burstJob.burst.retryAfterSeconds);
      expect(Number.isInteger(fault.retryAfter * 1000)).toBe(true);
    }
  });

  it('should end a 429 episode before the Retry-After it announces', () => {
    const speed = 4;
    const t0 = 1_000_000;
    const [fault] = scriptFor(burstJob, speed, t0).faults;
    const [from, to] = fault.absWindow;
    expect(from).toBe(t0 + burstJob.burst.fromAbsMs / speed);
    expect(to - from).toBeLessThan(fault.retryAfter * 1000);
    expect(to - from).toBeGreaterThan(fault.retryAfter * 1000 * 0.9);
  });

  it('should play queued, then running with rising progress, then the planned end', () => {
    const job = plan.find((j) => !j.burst && !j.phases);
    const script = scriptFor(job, 4, 0);
    expect(script.phases).toEqual([
      { state: 'queued', ms: job.queuedMs },
      { state: 'running', ms: job.runningMs, progress: [0, 1] },
    ]);
    expect(script.end).toBe(job.end);
    expect(script.faults).toBeUndefined();
  });
});

describe('the report', () => {
  it('should have a section and a goal row for every benchmark', () => {
    const md = renderReport(fixture);
    for (const heading of [
      '# Benchmarks',
      '## Goals',
      '## 1. Polling efficiency',
      '## 2. Per-poll overhead',
      '## 3. Scale',
      '## 4. React',
      '## 5. Bundle size',
    ]) {
      expect(md).toContain(heading);
    }
    expect(md).toContain(fixture.machine.node);
    const goals = goalRows(fixture);
    expect(goals.map((g) => g.bench)).toEqual(expect.arrayContaining(['1', '2', '3', '4', '5']));
  });

  it('should name every goal that was not met, with its reason', () => {
    const md = renderReport(fixture);
    for (const goal of goalRows(fixture).filter((g) => !g.ok)) {
      expect(md).toContain(`| ${goal.goal} | ${goal.value} | **not met** |`);
    }
    const sizeOver = fixture.results.size.gated.filter((g) => !g.passed);
    if (sizeOver.length > 0) expect(md).toContain('budgets were left as set, not raised');
  });

  it('should say which benchmarks were re-run alone, and when', () => {
    expect(renderReport(fixture)).not.toContain('Re-run alone');
    const load = { loadAverageAtStart: [1.5, 1, 1], loadAverageAtEnd: [0.7, 1, 1] };
    const md = renderReport({ ...fixture, reruns: { overhead: { date: '2026-12-03T04:40:12.000Z', ...load } } });
    expect(md).toContain(
      'Re-run alone since (`pnpm bench --only`), each against its own baselines in that run: `overhead` on 2026-12-03 04:40 UTC (load average 1.5 at the start, 0.7 at the end).',
    );
  });

  it('should say so when a benchmark did not finish, and render unknown benchmarks generically', () => {
    const broken = {
      ...fixture,
      results: {
        ...fixture.results,
        react: { benchmark: 'react', error: 'exited with 1' },
        extra: { benchmark: 'extra', title: 'Extra', paragraph: 'An extra one.', speed: { rowsPerSec: 12 } },
      },
    };
    const md = renderReport(broken);
    expect(md).toContain('## 4. React\n\nThis benchmark did not finish in this run: exited with 1.');
    expect(md).toContain('## Extra');
    expect(md).toContain('| `speed.rowsPerSec` | 12 |');
  });
});
