// Runs-table columns: a column is "metrics.<key>", "params.<key>" or "tags.<key>", the same
// spelling the server's filter and order_by grammar uses, so a column doubles as a sort key.
import type { Run } from '../api';
import { fmtNum } from '../common';

export type Kind = 'metrics' | 'params' | 'tags';
export interface Column {
  kind: Kind;
  key: string;
}

export const colId = (c: Column) => `${c.kind}.${c.key}`;

export function parseCol(id: string): Column | null {
  const dot = id.indexOf('.');
  const kind = id.slice(0, dot) as Kind;
  if (dot < 0 || !['metrics', 'params', 'tags'].includes(kind)) return null;
  return { kind, key: id.slice(dot + 1) };
}

// Run keys may contain spaces, slashes, dots and dashes but never commas, so a comma-separated
// list in the URL is unambiguous.
export const parseCols = (s: string): Column[] =>
  s
    .split(',')
    .map(parseCol)
    .filter((c): c is Column => c !== null);
export const formatCols = (cols: Column[]) => cols.map(colId).join(',');

/** The key as the search grammar wants it: backquoted unless it is a plain identifier. */
export function grammarKey(kind: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${kind}.${key}` : `${kind}.\`${key}\``;
}

export function cellValue(run: Run, c: Column): string {
  if (c.kind === 'metrics') return fmtNum(run.data.metrics?.find((m) => m.key === c.key)?.value);
  const list = c.kind === 'params' ? run.data.params : run.data.tags;
  return list?.find((p) => p.key === c.key)?.value ?? '';
}

/** Every key present in `runs`, per kind, sorted; system tags (mlflow.*) are left out. */
export function availableColumns(runs: Run[]): Record<Kind, string[]> {
  const sets = { metrics: new Set<string>(), params: new Set<string>(), tags: new Set<string>() };
  for (const r of runs) {
    r.data.metrics?.forEach((m) => sets.metrics.add(m.key));
    r.data.params?.forEach((p) => sets.params.add(p.key));
    r.data.tags?.forEach((t) => t.key.startsWith('mlflow.') || sets.tags.add(t.key));
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { metrics: sorted(sets.metrics), params: sorted(sets.params), tags: sorted(sets.tags) };
}

/** Columns when the URL names none: the first few metrics, then params. */
export function defaultColumns(avail: Record<Kind, string[]>): Column[] {
  const cols: Column[] = [
    ...avail.metrics.slice(0, 6).map((key) => ({ kind: 'metrics' as Kind, key })),
    ...avail.params.slice(0, 6).map((key) => ({ kind: 'params' as Kind, key })),
  ];
  return cols;
}
