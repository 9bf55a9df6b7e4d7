import { usePoll } from './hooks';
import { href } from './router';
import type { Instance, Network, Port, Session } from './types';
import { ErrorNote, Loading } from './ui';

/** Networks with their ports: every port for an admin (GET /v1/ports), the project's own addresses otherwise. */
export function NetworksPage(props: { session: Session }) {
  const { isAdmin } = props.session;
  const networks = usePoll<Network[]>('/v1/networks', 5000);
  const ports = usePoll<Port[]>(isAdmin ? '/v1/ports' : null, 2000);
  const instances = usePoll<Instance[]>('/v1/instances', 2000);
  const names = new Map((instances.data ?? []).map((i) => [i.id, i.name]));
  const portsOf = (n: Network): Port[] =>
    isAdmin
      ? (ports.data ?? []).filter((p) => p.networkId === n.id)
      : (instances.data ?? []).flatMap((i) =>
          i.addresses
            .filter((a) => a.network === n.name)
            .map((a) => ({
              ...a,
              id: a.ip,
              networkId: n.id,
              instanceId: i.id,
              host: i.host,
              status: 'active' as const,
              deviceName: null,
            })),
        );
  return (
    <>
      <h1>Networks</h1>
      <ErrorNote error={networks.error ?? ports.error} what="Could not load the networks" />
      {networks.data === undefined && !networks.error ? <Loading what="networks" /> : null}
      {(networks.data ?? []).map((n) => {
        const list = portsOf(n);
        return (
          <section key={n.id} class="panel" aria-labelledby={`net-${n.id}`}>
            <h2 id={`net-${n.id}`}>
              {n.name}{' '}
              <span class="muted small">
                {n.cidr} · gateway {n.gateway} · {n.segmentation.type} {n.segmentation.id ?? ''}
              </span>
            </h2>
            {list.length === 0 ? (
              <p class="muted">No ports.</p>
            ) : (
              <table class="cards">
                <caption class="visually-hidden">Ports of {n.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Address</th>
                    <th scope="col">MAC</th>
                    <th scope="col">Instance</th>
                    <th scope="col">Host</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((p) => (
                    <tr key={p.id}>
                      <td data-label="Address">
                        <code>{p.ip ?? '—'}</code>
                      </td>
                      <td data-label="MAC">
                        <code>{p.mac}</code>
                      </td>
                      <td data-label="Instance">
                        {p.instanceId ? (
                          <a href={href.instance(p.instanceId)}>
                            {names.get(p.instanceId) ?? p.instanceId.slice(0, 8)}
                          </a>
                        ) : (
                          '—'
                        )}
                      </td>
                      <td data-label="Host">{p.host ?? '—'}</td>
                      <td data-label="Status">
                        {p.status}
                        {p.deviceName ? ` (${p.deviceName})` : ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        );
      })}
    </>
  );
}
