import { useState } from 'preact/hooks';
import { api, ApiError, token } from './api';
import type { Session } from './types';
import { Field, invalidProps } from './ui';

/** A bearer token, checked against the API before it is kept (for this tab only). */
export function SignIn(props: { onSignedIn: (session: Session) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    token.set(value.trim());
    try {
      props.onSignedIn(await api<Session>('GET', '/v1/session'));
    } catch (err) {
      token.clear();
      setError(err instanceof ApiError && err.status === 401 ? 'This token is not valid.' : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in" id="main">
      <h1>Nimbus console</h1>
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <Field
          id="token"
          label="API token"
          error={error}
          hint="An admin token (npm start prints it; .nimbus/admin-token) or a project's token."
        >
          <input
            {...invalidProps('token', error, true)}
            name="token"
            type="password"
            autoComplete="current-password"
            required
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
