import { useState } from 'preact/hooks';
import { usePoll } from './hooks';
import { InstanceActions } from './instance-actions';
import { href } from './router';
import { Timeline } from './timeline';
import type { Action, Instance, Session } from './types';
import { ErrorNote, formatBytes, Loading, Status } from './ui';

type LiveInstance = Instance & { progress?: { image?: { bytesDone: number; bytesTotal: number | null } } };

const settled = (i: Instance | undefined) => i !== undefined && i.status !== 'BUILD' && i.taskState === null;
/** Fast while something happens to the instance, slow once it has settled. */
const pace = (i: Instance | undefined) => (settled(i) ? 5000 : 500);

/** A build's page: the saga as a timeline, its attempts and fault, live while it runs. */
export function InstancePage(props: { id: string; session: Session }) {
  const { id, session } = props;
  const instance = usePoll<LiveInstance>(`/v1/instances/${id}`, pace);
  const actions = usePoll<Action[]>(`/v1/instances/${id}/actions`, () => pace(instance.data));
  const i = instance.data;
  if (!i) {
    return instance.error ? (
      <ErrorNote error={instance.error} what="Could not load the instance" />
    ) : (
      <Loading what="the instance" />
    );
  }
  const temporalUrl = workflowUrl(session, `instance-${i.id}`);
  const pull = i.progress?.image;
  return (
    <>
      <p class="crumbs">
        <a href={href.instances}>Instances</a> / {i.name}
      </p>
      <div class="section-head">
        <h1>
          {i.name} <Status status={i.status} taskState={i.taskState} />
        </h1>
        <InstanceActions instance={i} onDone={instance.refresh} />
      </div>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{i.id}</code>
        </dd>
        <dt>Host</dt>
        <dd>{i.host ?? '—'}</dd>
        <dt>Flavor / image</dt>
        <dd>
          {i.flavor} / {i.image}
        </dd>
        <dt>Addresses</dt>
        <dd>
          {i.addresses
            .map((a) => `${a.network} ${a.ip} (${a.mac}, ${a.segmentation.type} ${a.segmentation.id ?? ''})`)
            .join('; ') || '—'}
        </dd>
        <dt>Volumes</dt>
        <dd>{i.volumes.map((v) => `${v.sizeGb} GB ${v.device ?? ''} ${v.status}`).join('; ') || '—'}</dd>
        <dt>Workflow</dt>
        <dd>
          <a href={temporalUrl} target="_blank" rel="noopener">
            instance-{i.id.slice(0, 8)}… in the Temporal UI
          </a>
        </dd>
      </dl>
      {pull ? (
        <p role="status">
          Pulling the image: {formatBytes(pull.bytesDone)} of {formatBytes(pull.bytesTotal)}
        </p>
      ) : null}
      {i.fault ? (
        <section class="fault" aria-labelledby="fault-title" role="alert">
          <h2 id="fault-title">Fault: {i.fault.code}</h2>
          <p>{i.fault.message}</p>
          <p class="small">
            step <strong>{i.fault.step ?? '—'}</strong> on host <strong>{i.fault.host ?? '—'}</strong>
          </p>
        </section>
      ) : null}
      <Timeline actions={actions.data ?? []} since={i.createdAt} live={!settled(i)} />
      <ErrorNote error={actions.error} what="Could not load the action log" />
      <Attempts instance={i} />
      <ConsoleLog instance={i} />
    </>
  );
}

/** The workflow in the Temporal Web UI, on the console's own host name (the UI's port comes with the session). */
function workflowUrl(session: Session, workflowId: string): string {
  const { port, namespace } = session.temporalUi;
  const ui = `${location.protocol}//${location.hostname}:${port}`;
  return `${ui}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function Attempts(props: { instance: Instance }) {
  const { attempts } = props.instance;
  return (
    <section aria-labelledby="attempts-title">
      <h2 id="attempts-title">Scheduling attempts ({attempts.length})</h2>
      {attempts.length === 0 ? <p class="muted">None yet.</p> : null}
      <ol class="attempts">
        {attempts.map((a, n) => (
          <li key={n} class={`attempt attempt-${a.outcome}`}>
            <strong>{a.host}</strong>: {a.outcome}
            {a.reason ? <span class="reason"> — {a.reason}</span> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The guest's serial console, read on its host (GET /v1/instances/{id}/console). */
function ConsoleLog(props: { instance: Instance }) {
  const { instance } = props;
  const [open, setOpen] = useState(false);
  const hasConsole = instance.host !== null && ['ACTIVE', 'SHUTOFF'].includes(instance.status);
  const log = usePoll<{ output: string }>(
    open && hasConsole ? `/v1/instances/${instance.id}/console?lines=200` : null,
    3000,
  );
  if (!hasConsole) return null;
  return (
    <section aria-labelledby="console-title">
      <h2 id="console-title">Console log</h2>
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide the console log' : 'Show the console log'}
      </button>
      {open ? (
        <>
          <ErrorNote error={log.error} what="Could not read the console" />
          <pre class="console" tabIndex={0} aria-label="Console output">
            {log.data?.output ?? 'Reading…'}
          </pre>
        </>
      ) : null}
    </section>
  );
}
