import { useState } from 'preact/hooks';
import { CreateInstance } from './create-instance';
import { usePoll } from './hooks';
import { InstanceActions } from './instance-actions';
import { href } from './router';
import type { Instance, Session } from './types';
import { ErrorNote, Loading, Status } from './ui';

/** The project's instances (every project's, for an admin), kept current by polling with ETags. */
export function InstancesPage(props: { session: Session }) {
  const [showDeleted, setShowDeleted] = useState(false);
  const list = usePoll<Instance[]>('/v1/instances', 1000);
  const shown = (list.data ?? []).filter((i) => showDeleted || i.status !== 'DELETED');
  return (
    <>
      <h1>Instances</h1>
      <CreateInstance onCreated={list.refresh} />
      <section aria-labelledby="list-title">
        <div class="section-head">
          <h2 id="list-title">
            {props.session.isAdmin ? 'All instances' : 'Your instances'} ({shown.length})
          </h2>
          <label class="inline">
            <input type="checkbox" checked={showDeleted} onChange={(e) => setShowDeleted(e.currentTarget.checked)} />
            Show deleted
          </label>
        </div>
        <ErrorNote error={list.error} what="Could not load the instances" />
        {list.data === undefined && !list.error ? <Loading what="instances" /> : null}
        {list.data && shown.length === 0 ? <p class="muted">No instances yet: create one above.</p> : null}
        {shown.length > 0 ? <InstanceTable instances={shown} onChange={list.refresh} /> : null}
      </section>
    </>
  );
}

export function InstanceTable(props: { instances: Instance[]; onChange?: () => void; compact?: boolean }) {
  const { instances, onChange, compact } = props;
  return (
    <table class="cards">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          {compact ? null : <th scope="col">Host</th>}
          <th scope="col">Addresses</th>
          {compact ? null : <th scope="col">Volumes</th>}
          {compact ? null : <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {instances.map((i) => (
          <tr key={i.id} data-instance={i.id}>
            <th scope="row" data-label="Name">
              <div>
                <a href={href.instance(i.id)}>{i.name}</a>
                <div class="muted small">
                  {i.flavor} · {i.image}
                </div>
              </div>
            </th>
            <td data-label="Status">
              <Status status={i.status} taskState={i.taskState} />
            </td>
            {compact ? null : <td data-label="Host">{i.host ?? '—'}</td>}
            <td data-label="Addresses">
              {i.addresses.length === 0
                ? '—'
                : i.addresses.map((a) => (
                    <div key={a.ip}>
                      {a.network} <code>{a.ip}</code>
                    </div>
                  ))}
            </td>
            {compact ? null : (
              <td data-label="Volumes">
                {i.volumes.length === 0
                  ? '—'
                  : i.volumes.map((v) => (
                      <div key={v.id}>
                        {v.sizeGb} GB {v.device ?? ''} <span class="muted">({v.status})</span>
                      </div>
                    ))}
              </td>
            )}
            {compact ? null : (
              <td data-label="Actions">
                <InstanceActions instance={i} onDone={() => onChange?.()} />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
