// Signing in to a server started with `--auth basic`: any API call answered 401 swaps the page
// for a login form; once the credentials check out the page is rebuilt, so whatever failed is
// loaded again. Without --auth no call is ever answered 401 and none of this shows.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from './api';
import { useTitle } from './common';

export interface Auth {
  /** The server asked for credentials: show the login form instead of the page. */
  needLogin: boolean;
  /** Who is signed in, if anyone. */
  user?: string;
  /** Bumped on sign-in and sign-out; the page is keyed by it so it reloads everything. */
  epoch: number;
  signedIn: (c: api.Credentials) => void;
  signOut: () => void;
}

export function useAuth(): Auth {
  const [needLogin, setNeedLogin] = useState(false);
  const [user, setUser] = useState(api.credentials()?.username);
  const [epoch, setEpoch] = useState(0);
  useEffect(() => {
    const on = () => {
      setNeedLogin(true);
      setUser(undefined);
    };
    addEventListener(api.AUTH_REQUIRED, on);
    return () => removeEventListener(api.AUTH_REQUIRED, on);
  }, []);
  return {
    needLogin,
    user,
    epoch,
    signedIn(c) {
      api.setCredentials(c);
      setUser(c.username);
      setNeedLogin(false);
      setEpoch((e) => e + 1);
    },
    signOut() {
      // The page reloads without credentials; the server's 401 brings the login form back.
      api.setCredentials(null);
      setUser(undefined);
      setEpoch((e) => e + 1);
    },
  };
}

export function LoginForm({ onSignedIn }: { onSignedIn: (c: api.Credentials) => void }) {
  useTitle('Sign in');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const userInput = useRef<HTMLInputElement>(null);
  useEffect(() => userInput.current?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!username) return;
    setBusy(true);
    setErr(undefined);
    const c = { username, password };
    try {
      await api.verifyCredentials(c);
      onSignedIn(c);
    } catch (e) {
      setErr((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <form class="login" id="login-form" onSubmit={submit} aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <p class="muted">This server needs a username and password.</p>
      <label>
        Username
        <input
          ref={userInput}
          name="username"
          autocomplete="username"
          required
          value={username}
          onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
        />
      </label>
      {err && (
        <div class="error" role="alert">
          {err}
        </div>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

/** The header's "signed in as … / Sign out" control; nothing when no one is signed in. */
export function UserMenu({ auth }: { auth: Auth }) {
  if (!auth.user) return null;
  return (
    <div class="user-menu">
      <span>
        Signed in as <strong id="signed-in-user">{auth.user}</strong>
      </span>
      <button type="button" class="small" onClick={auth.signOut}>
        Sign out
      </button>
    </div>
  );
}
