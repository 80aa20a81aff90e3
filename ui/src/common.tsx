// Shared building blocks: loading/error states (an API error always shows its message, never a
// blank page), small formatting helpers, and a hook for "load this when its inputs change".
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { KV } from './api';
import { Link, Location, href, navigate, withQuery } from './router';

export interface Async<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` whenever `deps` change and tracks its state. An answer that arrives after newer
 * inputs were asked for is dropped, so quick typing in a filter cannot show stale rows.
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({
    loading: true,
  });
  const seq = useRef(0);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ data: s.data, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error) => mine === seq.current && setState({ error, loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function Loading({ what }: { what?: string }) {
  return (
    <p class="loading" role="status">
      Loading{what ? ` ${what}` : ''}…
    </p>
  );
}

export function ErrorBox({ error }: { error: Error | string }) {
  const msg = typeof error === 'string' ? error : error.message;
  return (
    <div class="error" role="alert">
      <strong>Error:</strong> {msg}
    </div>
  );
}

/** Renders the loading or error state of `a`, or `children(data)` once it is there. */
export function Show<T>(props: {
  a: Async<T>;
  what?: string;
  children: (data: T) => ComponentChildren;
}) {
  const { a } = props;
  if (a.error) return <ErrorBox error={a.error} />;
  if (a.data === undefined) return <Loading what={props.what} />;
  return <>{props.children(a.data)}</>;
}

/**
 * A button that runs an API action, disables itself while it runs, and shows the error message
 * next to it if the action fails.
 */
export function ActionButton(props: {
  onAction: () => Promise<unknown>;
  children: ComponentChildren;
  class?: string;
  disabled?: boolean;
  title?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string>();
  const run = async () => {
    setBusy(true);
    setErr(undefined);
    try {
      await props.onAction();
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class={props.class}
        title={props.title}
        disabled={busy || props.disabled}
        onClick={run}
      >
        {props.children}
      </button>
      {err && (
        <span class="inline-error" role="alert">
          {err}
        </span>
      )}
    </>
  );
}

/** A form field + submit button; Enter submits, errors show inline. */
export function InlineForm(props: {
  label: string;
  button: string;
  initial?: string;
  placeholder?: string;
  onSubmit: (value: string) => Promise<unknown>;
  clearOnSuccess?: boolean;
}) {
  const [value, setValue] = useState(props.initial ?? '');
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!value.trim()) return;
    setBusy(true);
    setErr(undefined);
    try {
      await props.onSubmit(value.trim());
      if (props.clearOnSuccess) setValue('');
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline-form" onSubmit={submit}>
      <label>
        {props.label}{' '}
        <input
          value={value}
          placeholder={props.placeholder}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        {props.button}
      </button>
      {err && (
        <span class="inline-error" role="alert">
          {err}
        </span>
      )}
    </form>
  );
}

export function fmtTime(ms?: number): string {
  if (!ms) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export function fmtDuration(start?: number, end?: number): string {
  if (!start || !end) return '';
  const s = Math.round((end - start) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** Metric values: enough digits to tell runs apart, without 17-digit noise. */
export function fmtNum(v: number | string | undefined): string {
  if (v === undefined || v === null) return '';
  // MLflow sends NaN and the infinities as the strings "NaN", "Infinity", "-Infinity".
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(4);
  return String(Number(v.toPrecision(6)));
}

export function fmtBytes(n?: number): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function runName(r: { info: { run_name?: string; run_id: string } }): string {
  return r.info.run_name || r.info.run_id.slice(0, 8);
}

/** Sets the document title so browser history and tabs say which page is which. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · mlhub` : 'mlhub';
  }, [title]);
}

/** A search box bound to the page's `?q=`: submitting puts the text in the URL. */
export function SearchForm(props: { loc: Location; placeholder: string; class?: string }) {
  const [search, setSearch] = useState(props.loc.query.get('q') ?? '');
  return (
    <form
      class={props.class}
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(withQuery(props.loc, { q: search || undefined }), true);
      }}
    >
      <label>
        Search{' '}
        <input
          name="q"
          value={search}
          placeholder={props.placeholder}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
      </label>{' '}
      <button type="submit">Search</button>
    </form>
  );
}

/** One row of a key/value info table. */
export function Row({ k, v }: { k: string; v: ComponentChildren }) {
  return (
    <tr>
      <th scope="row">{k}</th>
      <td>{v}</td>
    </tr>
  );
}

/** A titled block with its item count, and "None." in place of its content when empty. */
export function Counted(props: { title: string; count: number; children: ComponentChildren }) {
  return (
    <div>
      <h2>
        {props.title} <span class="muted">({props.count})</span>
      </h2>
      {props.count === 0 ? <p class="muted">None.</p> : props.children}
    </div>
  );
}

/** A titled table of key/value pairs (params, tags), sorted by key. */
export function KVTable(props: { id: string; title: string; rows: KV[] }) {
  const rows = [...props.rows].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <Counted title={props.title} count={rows.length}>
      <table class="grid" id={props.id}>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row" class="mono">{r.key}</th>
              <td class="wrap">{r.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Counted>
  );
}

/** A page's tab bar; the first tab is the page without ?tab=. */
export function Tabs(props: { loc: Location; tabs: readonly string[]; active: string }) {
  return (
    <nav class="tabs" role="tablist">
      {props.tabs.map((t, i) => (
        <Link
          key={t}
          role="tab"
          aria-selected={props.active === t}
          class={props.active === t ? 'active' : ''}
          href={href(props.loc.path, { tab: i === 0 ? undefined : t })}
        >
          {t[0].toUpperCase() + t.slice(1)}
        </Link>
      ))}
    </nav>
  );
}

/** A search filter in the server's grammar; applied on submit, cleared with one click. */
export function FilterBox(props: {
  id: string;
  filter: string;
  placeholder: string;
  onSubmit: (filter: string) => void;
}) {
  const [text, setText] = useState(props.filter);
  useEffect(() => setText(props.filter), [props.filter]);
  return (
    <form
      class="filter"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit(text.trim());
      }}
    >
      <label for={props.id}>Filter</label>
      <input
        id={props.id}
        class="mono"
        value={text}
        placeholder={props.placeholder}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Apply</button>
      {props.filter && (
        <button type="button" onClick={() => props.onSubmit('')}>
          Clear
        </button>
      )}
    </form>
  );
}
