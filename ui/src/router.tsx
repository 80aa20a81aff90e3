// History routing with real URLs: the server answers index.html for any non-API path, so every
// page (and its filter/sort/column state, kept in the query string) can be bookmarked.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const CHANGE = 'mlhub:navigate';

export interface Location {
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** The current location; re-renders the caller on navigation. */
export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const on = () => setLoc(current());
    addEventListener('popstate', on);
    addEventListener(CHANGE, on);
    return () => {
      removeEventListener('popstate', on);
      removeEventListener(CHANGE, on);
    };
  }, []);
  return loc;
}

/** Goes to `url`; `replace` for state tweaks (typing in a filter) that should not pile up history. */
export function navigate(url: string, replace = false): void {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new Event(CHANGE));
  if (!replace) scrollTo(0, 0);
}

/** `path` with the given query parameters; empty values are left out so URLs stay short. */
export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

/** Replaces some query parameters of the current URL, keeping the others. */
export function withQuery(loc: Location, changes: Record<string, string | undefined>): string {
  const q: Record<string, string> = {};
  loc.query.forEach((v, k) => (q[k] = v));
  return href(loc.path, { ...q, ...changes });
}

type AProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An in-app link: a real <a> (so middle-click and copy-link work) that routes without reloading. */
export function Link(props: AProps) {
  const onClick = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return <a {...props} onClick={onClick} />;
}

/** Matches `/runs/:id`-style patterns; returns the decoded parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/');
  const xs = path.replace(/\/+$/, '').split('/');
  if (ps.length !== xs.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) out[ps[i].slice(1)] = decodeURIComponent(xs[i]);
    else if (ps[i] !== xs[i]) return null;
  }
  return out;
}
