import { useState } from 'preact/hooks';
import { api, ApiError } from './api';
import type { Instance } from './types';

/** Stop or start (whichever applies) and delete, each a 202 the list then follows. */
export function InstanceActions(props: { instance: Instance; onDone: () => void }) {
  const { instance, onDone } = props;
  const [error, setError] = useState<string>();
  const busy = instance.taskState !== null && instance.status !== 'BUILD';
  const run = async (what: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await what();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
    onDone();
  };
  if (instance.status === 'DELETED') return null;
  const power = instance.status === 'ACTIVE' ? 'stop' : instance.status === 'SHUTOFF' ? 'start' : null;
  const remove = () => {
    if (confirm(`Delete instance ${instance.name}?`)) {
      void run(() => api('DELETE', `/v1/instances/${instance.id}`));
    }
  };
  return (
    <div class="actions">
      {power ? (
        <button
          type="button"
          disabled={busy}
          aria-label={`${power === 'stop' ? 'Stop' : 'Start'} ${instance.name}`}
          onClick={() => void run(() => api('POST', `/v1/instances/${instance.id}/actions`, { action: power }))}
        >
          {power === 'stop' ? 'Stop' : 'Start'}
        </button>
      ) : null}
      <button
        type="button"
        class="danger"
        disabled={instance.taskState === 'deleting'}
        aria-label={`Delete ${instance.name}`}
        onClick={remove}
      >
        Delete
      </button>
      {error ? (
        <span class="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
