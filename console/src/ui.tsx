import type { ComponentChildren } from 'preact';
import type { ApiError } from './api';

/** A capacity bar: an ARIA meter with its figures in text too (colour is never the only cue). */
export function UsageBar(props: { label: string; used: number; total: number; unit: string }) {
  const { label, used, total, unit } = props;
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const level = pct >= 90 ? 'high' : pct >= 70 ? 'mid' : 'low';
  return (
    <div class="usage">
      <div class="usage-label">
        <span>{label}</span>
        <span>
          {used} / {total} {unit} ({pct.toFixed(0)}%)
        </span>
      </div>
      <div
        class={`bar bar-${level}`}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={used}
        aria-valuetext={`${used} of ${total} ${unit}`}
      >
        <div class="bar-fill" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

export function Status(props: { status: string; taskState?: string | null }) {
  const { status, taskState } = props;
  return (
    <span class={`status status-${status.toLowerCase()}`} data-status={status}>
      {status}
      {taskState ? <span class="task"> · {taskState.replace(/_/g, ' ')}</span> : null}
    </span>
  );
}

/** An API error as the user should read it: the detail, and each field at fault. */
export function ErrorNote(props: { error: ApiError | undefined; what?: string }) {
  const { error, what } = props;
  if (!error) return null;
  return (
    <div class="error-note" role="alert">
      <strong>{what ? `${what}: ` : ''}</strong>
      {error.message}
    </div>
  );
}

/** A labelled form control with its validation message tied to it (aria-describedby). */
export function Field(props: {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  children: ComponentChildren;
}) {
  const { id, label, error, hint, children } = props;
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint ? (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} class="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </div>
  );
}

/** ARIA attributes of a control whose field may be at fault. */
export function invalidProps(id: string, error: string | undefined, hint = false) {
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy || undefined };
}

export function Loading(props: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(n: number | null): string {
  if (n === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export const shortId = (id: string) => id.slice(0, 8);
