import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getFresh } from './api';

const HIDDEN_INTERVAL_MS = 15_000;

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** Fetch now, without waiting for the next tick (after an action). */
  refresh: () => void;
}

/**
 * Live data by polling with ETags: each tick is a conditional GET, so an unchanged list costs a
 * 304. `intervalMs` may depend on the data (fast while a build runs); null `path` pauses.
 */
export function usePoll<T>(path: string | null, intervalMs: number | ((data: T | undefined) => number)): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const tick = useRef<() => void>(() => undefined);
  const interval = useRef(intervalMs);
  interval.current = intervalMs;

  useEffect(() => {
    setData(undefined);
    setError(undefined);
    if (path === null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: T | undefined;
    const run = async () => {
      clearTimeout(timer);
      try {
        last = await getFresh<T>(path);
        if (!stopped) {
          setData(last);
          setError(undefined);
        }
      } catch (err) {
        if (!stopped) setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
      }
      if (stopped) return;
      const every = typeof interval.current === 'function' ? interval.current(last) : interval.current;
      // A tab nobody looks at asks rarely; it catches up as soon as it is shown again.
      timer = setTimeout(() => void run(), document.hidden ? Math.max(every, HIDDEN_INTERVAL_MS) : every);
    };
    tick.current = () => void run();
    const onShown = () => {
      if (!document.hidden) void run();
    };
    document.addEventListener('visibilitychange', onShown);
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onShown);
    };
  }, [path]);

  const refresh = useCallback(() => tick.current(), []);
  return { data, error, refresh };
}

/** The current time, ticking while `active` (durations of running steps). */
export function useNow(active: boolean, everyMs = 250): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs]);
  return now;
}
