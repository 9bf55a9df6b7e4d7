import { useState } from 'preact/hooks';
import { api, ApiError } from './api';
import { usePoll } from './hooks';
import { href } from './router';
import type { Flavor, Image, Instance, Network, Volume } from './types';
import { ErrorNote, Field, invalidProps } from './ui';

interface Form {
  name: string;
  flavor: string;
  image: string;
  network: string;
  /** '' none, 'new' a new volume of `sizeGb`, else an available volume's id. */
  volume: string;
  sizeGb: string;
}

const EMPTY: Form = { name: '', flavor: 'm1.small', image: 'cirros', network: 'default', volume: '', sizeGb: '1' };

/** The request DESIGN.md describes; the API validates it and its problem+json names the fields. */
function requestOf(form: Form) {
  const volume =
    form.volume === 'new' ? { sizeGb: Number(form.sizeGb) } : form.volume ? { id: form.volume } : undefined;
  return { name: form.name, flavor: form.flavor, image: form.image, network: form.network, volume };
}

export function CreateInstance(props: { onCreated: () => void }) {
  const [form, setForm] = useState<Form>(EMPTY);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Instance>();
  const flavors = usePoll<Flavor[]>('/v1/flavors', 30_000);
  const images = usePoll<Image[]>('/v1/images', 10_000);
  const networks = usePoll<Network[]>('/v1/networks', 30_000);
  const volumes = usePoll<Volume[]>('/v1/volumes?status=available', 10_000);
  const set = (key: keyof Form) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [key]: e.currentTarget.value });
  const fieldError = (field: string) => error?.fieldMessage(field);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const instance = await api<Instance>('POST', '/v1/instances', requestOf(form));
      setCreated(instance);
      setForm({ ...form, name: '' });
      props.onCreated();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
    } finally {
      setBusy(false);
    }
  };
  const volumeError = fieldError('volume') ?? fieldError('volume.id');
  const standalone = (volumes.data ?? []).filter((v) => !v.deleteOnTermination);
  return (
    <section aria-labelledby="create-title" class="panel">
      <h2 id="create-title">Create an instance</h2>
      <form class="grid-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field id="f-name" label="Name" error={fieldError('name')}>
          <input {...invalidProps('f-name', fieldError('name'))} name="name" value={form.name} onInput={set('name')} />
        </Field>
        <Field id="f-flavor" label="Flavor" error={fieldError('flavor')}>
          <select {...invalidProps('f-flavor', fieldError('flavor'))} value={form.flavor} onChange={set('flavor')}>
            {(flavors.data ?? [{ id: 'm1.small', name: 'm1.small', vcpus: 1, ramMb: 2048, diskGb: 20 }]).map((f) => (
              <option key={f.id} value={f.name}>
                {f.name} ({f.vcpus} vCPU, {f.ramMb} MB, {f.diskGb} GB)
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-image" label="Image" error={fieldError('image')}>
          <select {...invalidProps('f-image', fieldError('image'))} value={form.image} onChange={set('image')}>
            {(images.data ?? [{ id: 'cirros', name: 'cirros', status: 'active', sizeBytes: null, sha256: null }]).map(
              (i) => (
                <option key={i.id} value={i.name}>
                  {i.name}
                  {i.status === 'active' ? '' : ` (${i.status})`}
                </option>
              ),
            )}
          </select>
        </Field>
        <Field id="f-network" label="Network" error={fieldError('network')}>
          <select {...invalidProps('f-network', fieldError('network'))} value={form.network} onChange={set('network')}>
            {(
              networks.data ?? [
                { id: 'default', name: 'default', cidr: '', gateway: '', segmentation: { type: '', id: null } },
              ]
            ).map((n) => (
              <option key={n.id} value={n.name}>
                {n.name} {n.cidr}
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-volume" label="Volume" error={volumeError}>
          <select {...invalidProps('f-volume', volumeError)} value={form.volume} onChange={set('volume')}>
            <option value="">none</option>
            <option value="new">a new volume</option>
            {standalone.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name ?? v.id.slice(0, 8)} ({v.sizeGb} GB, available)
              </option>
            ))}
          </select>
        </Field>
        {form.volume === 'new' ? (
          <Field id="f-size" label="Volume size (GB)" error={fieldError('volume.sizeGb')}>
            <input
              {...invalidProps('f-size', fieldError('volume.sizeGb'))}
              type="number"
              inputMode="numeric"
              value={form.sizeGb}
              onInput={set('sizeGb')}
            />
          </Field>
        ) : null}
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
      <ErrorNote error={error} what="The build was refused" />
      {created && !error ? (
        <p role="status">
          Building <a href={href.instance(created.id)}>{created.name}</a>: follow its build.
        </p>
      ) : null}
    </section>
  );
}
