import { usePoll } from './hooks';
import { href } from './router';
import type { Volume } from './types';
import { ErrorNote, Loading, Status } from './ui';

/** The project's volumes (all, for an admin) and what each is attached to. */
export function VolumesPage() {
  const volumes = usePoll<Volume[]>('/v1/volumes', 2000);
  const shown = (volumes.data ?? []).filter((v) => v.status !== 'deleted');
  return (
    <>
      <h1>Volumes</h1>
      <ErrorNote error={volumes.error} what="Could not load the volumes" />
      {volumes.data === undefined && !volumes.error ? <Loading what="volumes" /> : null}
      {volumes.data && shown.length === 0 ? <p class="muted">No volumes.</p> : null}
      {shown.length > 0 ? (
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Volume</th>
              <th scope="col">Size</th>
              <th scope="col">Status</th>
              <th scope="col">Attached to</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((v) => (
              <tr key={v.id}>
                <th scope="row" data-label="Volume">
                  {v.name ?? <code>{v.id.slice(0, 8)}</code>}
                  {v.deleteOnTermination ? <div class="muted small">deleted with its instance</div> : null}
                </th>
                <td data-label="Size">{v.sizeGb} GB</td>
                <td data-label="Status">
                  <Status status={v.status} />
                </td>
                <td data-label="Attached to">
                  {v.instanceId ? (
                    <>
                      <a href={href.instance(v.instanceId)}>{v.instanceId.slice(0, 8)}</a> as {v.device ?? '—'} on{' '}
                      {v.host ?? '—'}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
