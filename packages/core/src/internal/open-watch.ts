import type { Clock } from '../clock.js';
import { handleFromState } from '../handle-format.js';
import { type PushModeOptions, resolvePush } from '../notify.js';
import { type OutcomeOptions, type PollOptions, resolvePollOptions, type WatchOptions } from '../options.js';
import type { JobSource } from '../source.js';
import { Loop, type LoopHost } from './loop.js';
import { initialState, type PollState } from './step.js';
import { validateId } from './validate.js';
import { View } from './view.js';

/** @internal Where a new loop's watch options come from: the caller's over a host's defaults. */
export type LoopDefaults = PollOptions & OutcomeOptions & PushModeOptions;

/** @internal How {@link openWatch} resumes, and how a host that shares loops finds and keeps them. */
export interface OpenWatchOptions<TRaw> {
  /** Where a resumed watch starts; its id wins over `id`. A throw rejects `done`. */
  resume?: () => { id: string; state: PollState };
  /** Poll options every watch of the host starts from. */
  defaults?: LoopDefaults;
  /** The host's own checks of the source, after the id's (a throw rejects `done` before any request). */
  check?: () => void;
  /** The loop already polling `jobId` (scheduler dedupe). */
  find?: (jobId: string) => Loop<TRaw> | undefined;
  /** A new loop, before its first poll is scheduled. */
  created?: (loop: Loop<TRaw>) => void;
}

/**
 * @internal Opens a watch on `host`: validates the input, joins the loop `find` returns or creates
 * one, and attaches a view. Never throws: bad input gives a view whose `done` rejects.
 */
export function openWatch<TRaw>(
  host: LoopHost,
  source: JobSource<TRaw>,
  id: string,
  options: WatchOptions<TRaw>,
  { resume, defaults = {}, check, find, created }: OpenWatchOptions<TRaw> = {},
): View<TRaw> {
  const merged = merge(defaults, options);
  let loop: Loop<TRaw> | undefined;
  let fresh = false;
  try {
    if (options.signal?.aborted) throw options.signal.reason;
    const resumed = resume?.();
    const jobId = resumed ? resumed.id : id;
    validateId(source, jobId);
    check?.();
    const policy = resolvePollOptions(merged);
    const push = resolvePush(merged.push);
    loop = find?.(jobId);
    if (!loop) {
      const state = resumed ? resumed.state : initialState(host.clock.now(), policy.timeoutMs);
      loop = new Loop(host, source, jobId, policy, push, state);
      fresh = true;
    }
  } catch (error) {
    return deadView(source, id, host.clock, options, error);
  }
  const view = new View(loop, merged);
  loop.attach(view);
  view.listen(options.signal);
  if (fresh) {
    created?.(loop);
    loop.start();
  }
  return view;
}

/** @internal A view that ended before it started (bad input, aborted signal, closed scheduler). */
export function deadView<TRaw>(
  source: JobSource<TRaw>,
  id: string,
  clock: Clock,
  options: WatchOptions<TRaw>,
  error: unknown,
): View<TRaw> {
  const owner = { provider: String(source?.provider), kind: String(source?.kind) };
  const view = new View<TRaw>(
    {
      snapshot: undefined,
      detach: () => {},
      cancel: async () => {},
      notify: () => false,
      toHandle: () => handleFromState(owner, String(id), initialState(clock.now(), undefined)),
    },
    options,
  );
  view.finish({ error });
  return view;
}

/** @internal The host of a loop that runs on its own: polls as soon as it is due. */
export function soloHost(clock: Clock): LoopHost {
  let pushAt: number | undefined;
  return {
    clock,
    due: (loop) => void loop.run(),
    ended: () => {},
    sawPush: () => {
      pushAt = clock.now();
    },
    lastPushAt: () => pushAt,
  };
}

// Options without their `undefined` fields, over defaults.
function merge<T extends object>(defaults: Partial<T>, options: T): T {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as T;
}
