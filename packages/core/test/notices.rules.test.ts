// The notification rules at their edges: what a sent poll and an arriving notification record, when
// a poll in flight is followed by one more, and when a notification brings a sleeping poll forward.
// notify.test.ts runs them inside watches and the scheduler.
import { describe, expect, it } from 'vitest';
import { followUp, type Notices, noNotices, noticed, pollSent, woken } from '../src/internal/notices.js';

const about = { provider: 'p', kind: 'k', id: 'j' };
const backoff = (delayMs: number) => ({ delayMs, delaySource: 'backoff' as const });

describe('pollSent and noticed: what is recorded', () => {
  it('should start with nothing seen and no poll sent', () => {
    expect(noNotices).toEqual({
      count: 0,
      countAtSend: 0,
      expectsEnd: false,
      wakeNext: false,
      sentForNotice: false,
      sentAt: Number.NEGATIVE_INFINITY,
    });
  });

  it('should record when a poll was sent, how many notifications it can have seen, and whether one woke it', () => {
    const twice = noticed(noticed(noNotices, about), about);
    expect(pollSent(twice, 5000)).toEqual({ ...twice, countAtSend: 2, sentAt: 5000, sentForNotice: false });
    expect(pollSent({ ...twice, wakeNext: true }, 6000)).toEqual({
      ...twice,
      countAtSend: 2,
      sentAt: 6000,
      sentForNotice: true,
      wakeNext: false,
    });
  });

  it('should remember an announced end through later notifications that announce none', () => {
    const ended = noticed(noNotices, { ...about, status: 'failed' });
    expect(noticed(ended, about)).toMatchObject({ count: 2, expectsEnd: true });
    expect(noticed(ended, { ...about, status: 'running' }).expectsEnd).toBe(true);
    expect(noticed(noNotices, about)).toEqual({ ...noNotices, count: 1 });
    expect(noticed(noNotices, { ...about, status: 'unknown' }).expectsEnd).toBe(false);
  });
});

describe('followUp: one more poll after a notification that came during one', () => {
  const sentAt1000 = pollSent(noNotices, 1000);

  it('should leave the delay alone when nothing arrived during the poll', () => {
    expect(followUp(sentAt1000, backoff(8000), 1200, 1000)).toEqual({ notices: sentAt1000 });
  });

  it('should follow at the floor after the send, or at once when the floor has passed', () => {
    const during = noticed(sentAt1000, about);
    expect(followUp(during, backoff(8000), 1200, 1000).delay).toEqual({ delayMs: 800, delaySource: 'notify' });
    expect(followUp(during, backoff(8000), 2500, 1000).delay).toEqual({ delayMs: 0, delaySource: 'notify' });
  });

  it('should not follow when the schedule is already as soon or sooner', () => {
    const during = noticed(sentAt1000, about);
    expect(followUp(during, backoff(800), 1200, 1000)).toEqual({ notices: during });
    expect(followUp(during, backoff(801), 1200, 1000)).toEqual({
      notices: { ...during, wakeNext: true },
      delay: { delayMs: 800, delaySource: 'notify' },
    });
  });

  it('should not follow a poll that was itself sent for a notification, nor shorten a Retry-After', () => {
    const forNotice: Notices = noticed(pollSent({ ...noNotices, wakeNext: true }, 1000), about);
    expect(followUp(forNotice, backoff(8000), 1200, 1000).delay).toBeUndefined();
    const during = noticed(sentAt1000, about);
    expect(followUp(during, { delayMs: 8000, delaySource: 'server' }, 1200, 1000).delay).toBeUndefined();
    expect(followUp(during, { delayMs: 8000, delaySource: 'age' }, 1200, 1000).delay).toBeDefined();
  });
});

describe('woken: a notification while the next poll sleeps', () => {
  it('should bring the poll forward to now once the floor after the last send has passed', () => {
    const sent = pollSent(noNotices, 1000);
    expect(woken(sent, 1500, 1000, 9000)).toEqual({ notices: { ...sent, wakeNext: true }, at: 2000 });
    expect(woken(sent, 2000, 1000, 9000)?.at).toBe(2000);
    expect(woken(sent, 4000, 1000, 9000)?.at).toBe(4000);
    expect(woken(noNotices, 0, 1000, 9000)?.at).toBe(0);
  });

  it('should keep a poll that is due at that moment or sooner', () => {
    const sent = pollSent(noNotices, 1000);
    expect(woken(sent, 1500, 1000, 2000)).toBeUndefined();
    expect(woken(sent, 1500, 1000, 2001)?.at).toBe(2000);
  });

  it('should let a poll sent for a notification answer every duplicate for minIntervalMs, and no longer', () => {
    const forNotice = pollSent({ ...noNotices, wakeNext: true }, 1000);
    expect(woken(forNotice, 1999, 1000, 9000)).toBeUndefined();
    expect(woken(forNotice, 2000, 1000, 9000)).toEqual({ notices: { ...forNotice, wakeNext: true }, at: 2000 });
  });
});
