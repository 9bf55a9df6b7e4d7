import { useNow } from './hooks';
import type { Action } from './types';
import { formatDuration } from './ui';

const UNDO = 'undo:';

/** Where a row's bar sits on the build's time axis, in percent. */
function span(a: Action, t0: number, total: number, now: number) {
  const start = Date.parse(a.startedAt);
  const end = a.finishedAt ? Date.parse(a.finishedAt) : now;
  const left = ((start - t0) / total) * 100;
  // A step of a few milliseconds still gets a visible sliver.
  const width = Math.max(0.6, ((end - start) / total) * 100);
  return { left: Math.min(left, 99.4), width: Math.min(width, 100 - Math.min(left, 99.4)), ms: end - start };
}

function label(a: Action): { name: string; undo: boolean } {
  return a.step.startsWith(UNDO)
    ? { name: `undo ${a.step.slice(UNDO.length)}`, undo: true }
    : { name: a.step.replace(/_/g, ' '), undo: false };
}

/**
 * The saga as it ran: one bar per step (and per undo, in red) on one time axis from the
 * request, each with its host, outcome and duration. The text says everything the bars
 * show, so a screen reader gets the same story.
 */
export function Timeline(props: { actions: Action[]; since: string; live: boolean }) {
  const { actions, since, live } = props;
  const now = useNow(live);
  const t0 = Math.min(Date.parse(since), ...actions.map((a) => Date.parse(a.startedAt)));
  const t1 = Math.max(
    t0 + 1,
    ...actions.map((a) => (a.finishedAt ? Date.parse(a.finishedAt) : now)),
    live ? now : t0 + 1,
  );
  const total = t1 - t0;
  const undos = actions.filter((a) => a.step.startsWith(UNDO)).length;
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">
        Saga timeline{' '}
        <span class="muted small">
          ({formatDuration(total)}
          {undos ? `, ${undos} compensations` : ''})
        </span>
      </h2>
      {actions.length === 0 ? <p class="muted">No step has started yet.</p> : null}
      <ol class="timeline" aria-live="polite">
        {actions.map((a, n) => {
          const { name, undo } = label(a);
          const { left, width, ms } = span(a, t0, total, now);
          const kind = undo ? 'undo' : a.outcome;
          return (
            <li
              key={`${a.step}-${a.startedAt}-${n}`}
              class={`step step-${kind}`}
              data-step={a.step}
              data-outcome={a.outcome}
            >
              <div class="step-text">
                <span class="step-name">{name}</span>
                <span class="step-host">{a.host ?? 'control plane'}</span>
                <span class="step-outcome">{a.outcome === 'running' ? 'running' : a.outcome}</span>
                <span class="step-duration">{formatDuration(ms)}</span>
              </div>
              <div class="step-track" aria-hidden="true">
                <div class="step-bar" style={{ left: `${left}%`, width: `${width}%` }} />
              </div>
              {a.message ? <div class="step-message">{a.message}</div> : null}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
