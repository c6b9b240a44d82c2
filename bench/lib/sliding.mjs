/** The most events in any sliding one-second window `[t, t + 1000)` of sorted times (ms). */
export function maxSlidingSecond(times) {
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] >= 1000) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}
