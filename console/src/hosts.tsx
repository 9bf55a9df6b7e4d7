import { usePoll } from './hooks';
import { InstanceTable } from './instances';
import type { Host, Instance } from './types';
import { ErrorNote, Loading, Status, UsageBar } from './ui';

/** Every host (admin only) with what it can hold — capacity × allocation ratio — what is used, and its instances. */
export function HostsPage() {
  const hosts = usePoll<Host[]>('/v1/hosts', 1000);
  const instances = usePoll<Instance[]>('/v1/instances', 1000);
  const live = (instances.data ?? []).filter((i) => i.status !== 'DELETED');
  return (
    <>
      <h1>Hosts</h1>
      <ErrorNote error={hosts.error} what="Could not load the hosts" />
      {hosts.data === undefined && !hosts.error ? <Loading what="hosts" /> : null}
      <div class="host-grid">
        {(hosts.data ?? []).map((h) => {
          const mine = live.filter((i) => i.host === h.name);
          return (
            <section key={h.name} class="panel host" aria-labelledby={`host-${h.name}`} data-host={h.name}>
              <div class="section-head">
                <h2 id={`host-${h.name}`}>{h.name}</h2>
                <Status status={h.status} />
              </div>
              <UsageBar
                label={`${h.name} vCPU`}
                used={h.vcpusUsed}
                total={Math.floor(h.vcpus * h.cpuAllocationRatio)}
                unit="vCPU"
              />
              <UsageBar
                label={`${h.name} RAM`}
                used={h.ramMbUsed}
                total={Math.floor(h.ramMb * h.ramAllocationRatio)}
                unit="MB"
              />
              <UsageBar
                label={`${h.name} disk`}
                used={h.diskGbUsed}
                total={Math.floor(h.diskGb * h.diskAllocationRatio)}
                unit="GB"
              />
              <h3>Instances ({mine.length})</h3>
              {mine.length ? <InstanceTable instances={mine} compact /> : <p class="muted">None.</p>}
            </section>
          );
        })}
      </div>
    </>
  );
}
