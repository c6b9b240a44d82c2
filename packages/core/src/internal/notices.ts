import { isTerminalStatus } from '../job-state.js';
import type { NextDelay } from '../next-delay.js';
import type { JobNotification } from '../notify.js';

/**
 * What a poll loop remembers about notifications (webhooks, callbacks fed to `notify`), as plain
 * data; the functions below are the only rules that read or change it.
 */
export interface Notices {
  /** Notifications received so far. */
  readonly count: number;
  /** `count` when the poll in flight (or the last one) was sent. */
  readonly countAtSend: number;
  /** A notification announced a terminal status that no poll has confirmed yet. */
  readonly expectsEnd: boolean;
  /** The next poll was brought forward by a notification. */
  readonly wakeNext: boolean;
  /** The poll in flight (or the last one) was sent for a notification. */
  readonly sentForNotice: boolean;
  /** When the last poll was sent. */
  readonly sentAt: number;
}

export const noNotices: Notices = {
  count: 0,
  countAtSend: 0,
  expectsEnd: false,
  wakeNext: false,
  sentForNotice: false,
  sentAt: Number.NEGATIVE_INFINITY,
};

/** A poll is sent at `now`. */
export const pollSent = (n: Notices, now: number): Notices => ({
  ...n,
  countAtSend: n.count,
  sentForNotice: n.wakeNext,
  wakeNext: false,
  sentAt: now,
});

/** A notification arrived. */
export const noticed = (n: Notices, notification: JobNotification): Notices => ({
  ...n,
  count: n.count + 1,
  expectsEnd: n.expectsEnd || (notification.status !== undefined && isTerminalStatus(notification.status)),
});

/**
 * After a poll settled: when a notification arrived while a poll sent on the schedule was in
 * flight (that poll may predate the event), the next poll follows as soon as the floor allows
 * (`'notify'`). A poll sent for a notification already saw it, so duplicates cost nothing more.
 * Returns the notices and the delay to use instead of `delay`, if any.
 */
export function followUp(
  n: Notices,
  delay: NextDelay,
  now: number,
  minIntervalMs: number,
): { notices: Notices; delay?: NextDelay } {
  if (n.count === n.countAtSend || n.sentForNotice || delay.delaySource === 'server') return { notices: n };
  const soon = Math.max(0, n.sentAt + minIntervalMs - now);
  if (soon >= delay.delayMs) return { notices: n };
  return { notices: { ...n, wakeNext: true }, delay: { delayMs: soon, delaySource: 'notify' } };
}

/**
 * Where a notification brings the next poll (due at `nextPollAt`) forward to, or `undefined` to
 * keep it: one poll as soon as the floor allows, but a poll sent for a notification less than
 * `minIntervalMs` ago counts (it saw the event that a burst of duplicate deliveries repeats).
 */
export function woken(
  n: Notices,
  now: number,
  minIntervalMs: number,
  nextPollAt: number,
): { notices: Notices; at: number } | undefined {
  if (n.sentForNotice && now < n.sentAt + minIntervalMs) return undefined;
  const at = Math.max(now, n.sentAt + minIntervalMs);
  return at < nextPollAt ? { notices: { ...n, wakeNext: true }, at } : undefined;
}
