import { useState } from 'preact/hooks';
import { api, ApiError, upload } from './api';
import { usePoll } from './hooks';
import type { Image } from './types';
import { ErrorNote, Field, formatBytes, invalidProps, Loading, Status } from './ui';

/** Images and an upload form: POST the record, then PUT the bytes with a progress bar. */
export function ImagesPage() {
  const images = usePoll<Image[]>('/v1/images', 3000);
  return (
    <>
      <h1>Images</h1>
      <Upload onDone={images.refresh} />
      <ErrorNote error={images.error} what="Could not load the images" />
      {images.data === undefined && !images.error ? <Loading what="images" /> : null}
      {images.data?.length ? (
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Size</th>
              <th scope="col">SHA-256</th>
            </tr>
          </thead>
          <tbody>
            {images.data.map((i) => (
              <tr key={i.id}>
                <th scope="row" data-label="Name">
                  {i.name}
                </th>
                <td data-label="Status">
                  <Status status={i.status} />
                </td>
                <td data-label="Size">{formatBytes(i.sizeBytes)}</td>
                <td data-label="SHA-256">
                  <code class="hash">{i.sha256 ?? '—'}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

function Upload(props: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number }>();
  const [error, setError] = useState<ApiError>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      if (!file)
        throw new ApiError(400, { detail: 'choose a file', errors: [{ field: 'file', message: 'choose a file' }] });
      const image = await api<Image>('POST', '/v1/images', { name });
      props.onDone();
      setProgress({ done: 0, total: file.size });
      await upload(`/v1/images/${image.id}/file`, file, (done, total) => setProgress({ done, total }));
      props.onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
    }
  };
  const nameError = error?.fieldMessage('name');
  const fileError = error?.fieldMessage('file');
  return (
    <section class="panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload an image</h2>
      <form class="grid-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field id="i-name" label="Name" error={nameError}>
          <input {...invalidProps('i-name', nameError)} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field id="i-file" label="Disk image file" error={fileError}>
          <input
            {...invalidProps('i-file', fileError)}
            type="file"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          />
        </Field>
        <div class="form-actions">
          <button type="submit">Upload</button>
        </div>
      </form>
      {progress ? (
        <div class="upload-progress">
          <label for="i-progress">
            Uploaded {formatBytes(progress.done)} of {formatBytes(progress.total)}
          </label>
          <progress id="i-progress" max={progress.total} value={progress.done} />
        </div>
      ) : null}
      {error && !nameError && !fileError ? <ErrorNote error={error} what="The upload failed" /> : null}
    </section>
  );
}
