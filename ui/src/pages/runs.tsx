// An experiment's runs table: user-chosen columns, sort, the server's filter grammar (with OR and
// parentheses), paging by page token and multi-select feeding the chart and compare pages.
// URL state: ?filter=&order=<column> ASC|DESC&cols=<col,col>&pt=<page token>.
import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import {
  ActionButton,
  ErrorBox,
  FilterBox,
  Loading,
  fmtDuration,
  fmtTime,
  runName,
  useAsync,
  useTitle,
} from '../common';
import { Link, Location, href, navigate, withQuery } from '../router';
import {
  Column,
  Kind,
  availableColumns,
  cellValue,
  colId,
  defaultColumns,
  formatCols,
  grammarKey,
  parseCols,
} from './columns';

const PAGE_SIZE = 50;
// Which token led to which page, so "Previous" works without the server paging backwards.
const prevToken = new Map<string, string>();

export function RunsPage({ loc, experimentId }: { loc: Location; experimentId: string }) {
  const filter = loc.query.get('filter') ?? '';
  const order = loc.query.get('order') ?? 'attributes.start_time DESC';
  const pt = loc.query.get('pt') ?? '';
  const colsParam = loc.query.get('cols');

  const exp = useAsync(() => api.getExperiment(experimentId), [experimentId]);
  useTitle(exp.data?.experiment.name ?? 'Experiment');
  const runs = useAsync(
    () =>
      api.searchRuns({
        experimentIds: [experimentId],
        filter,
        orderBy: order,
        pageToken: pt,
        maxResults: PAGE_SIZE,
      }),
    [experimentId, filter, order, pt],
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => setSelected(new Set()), [experimentId]);

  const rows = runs.data?.runs ?? [];
  const avail = availableColumns(rows);
  const cols = colsParam !== null ? parseCols(colsParam) : defaultColumns(avail);
  const setCols = (c: Column[]) => navigate(withQuery(loc, { cols: formatCols(c) }), true);
  const ids = [...selected].join(',');

  return (
    <section>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> ›
      </p>
      {exp.error ? (
        <ErrorBox error={exp.error} />
      ) : (
        <h1>
          {exp.data?.experiment.name ?? '…'}{' '}
          <span class="muted mono">#{experimentId}</span>{' '}
          <Link class="small" href={`/experiments/${experimentId}/models`} id="experiment-models">
            Logged models
          </Link>{' '}
          <Link class="small" href={`/experiments/${experimentId}/traces`} id="experiment-traces">
            Traces
          </Link>
        </h1>
      )}
      <FilterBox
        id="run-filter"
        filter={filter}
        placeholder="metrics.acc > 0.9 OR params.model = 'xgb'"
        onSubmit={(f) => navigate(withQuery(loc, { filter: f || undefined, pt: undefined }))}
      />
      <div class="toolbar">
        <ColumnPicker avail={avail} cols={cols} onChange={setCols} />
        <span class="muted">{selected.size} selected</span>
        <Link
          class={`button${selected.size ? '' : ' disabled'}`}
          aria-disabled={!selected.size}
          href={href('/charts', { runs: ids })}
          id="chart-selected"
        >
          Chart metrics
        </Link>
        <Link
          class={`button${selected.size > 1 ? '' : ' disabled'}`}
          aria-disabled={selected.size < 2}
          href={href('/compare', { runs: ids })}
          id="compare-selected"
        >
          Compare
        </Link>
        <ActionButton
          class="danger"
          disabled={!selected.size}
          onAction={async () => {
            if (!confirm(`Delete ${selected.size} run(s)?`)) return;
            for (const id of selected) await api.deleteRun(id);
            setSelected(new Set());
            runs.reload();
          }}
        >
          Delete
        </ActionButton>
      </div>
      {runs.error ? (
        <ErrorBox error={runs.error} />
      ) : !runs.data ? (
        <Loading what="runs" />
      ) : (
        <>
          <RunsTable
            runs={rows}
            cols={cols}
            order={order}
            loading={runs.loading}
            selected={selected}
            onSelect={setSelected}
            onSort={(o) => navigate(withQuery(loc, { order: o, pt: undefined }), true)}
          />
          <Pager
            pt={pt}
            next={runs.data.next_page_token}
            go={(token) => navigate(withQuery(loc, { pt: token || undefined }))}
          />
        </>
      )}
    </section>
  );
}

function ColumnPicker(props: {
  avail: Record<Kind, string[]>;
  cols: Column[];
  onChange: (c: Column[]) => void;
}) {
  const chosen = new Set(props.cols.map(colId));
  // Chosen columns stay listed even when no run on this page has them.
  const keys = (kind: Kind) => {
    const s = new Set(props.avail[kind]);
    props.cols.filter((c) => c.kind === kind).forEach((c) => s.add(c.key));
    return [...s].sort();
  };
  const toggle = (c: Column) => {
    const id = colId(c);
    props.onChange(
      chosen.has(id) ? props.cols.filter((x) => colId(x) !== id) : [...props.cols, c],
    );
  };
  return (
    <details class="picker">
      <summary>Columns ({props.cols.length})</summary>
      <div class="picker-body">
        {(['metrics', 'params', 'tags'] as Kind[]).map((kind) => (
          <fieldset key={kind}>
            <legend>{kind}</legend>
            {keys(kind).length === 0 && <span class="muted">none</span>}
            {keys(kind).map((key) => (
              <label class="check" key={key}>
                <input
                  type="checkbox"
                  checked={chosen.has(`${kind}.${key}`)}
                  onChange={() => toggle({ kind, key })}
                />{' '}
                {key}
              </label>
            ))}
          </fieldset>
        ))}
      </div>
    </details>
  );
}

function SortHeader(props: {
  label: string;
  sortKey: string;
  order: string;
  onSort: (o: string) => void;
}) {
  const [key, dir] = splitOrder(props.order);
  const active = key === props.sortKey;
  const next = active && dir === 'DESC' ? 'ASC' : 'DESC';
  return (
    <th aria-sort={active ? (dir === 'DESC' ? 'descending' : 'ascending') : undefined}>
      <button
        type="button"
        class="sort"
        title={`Sort by ${props.label}`}
        onClick={() => props.onSort(`${props.sortKey} ${next}`)}
      >
        {props.label}
        {active ? (dir === 'DESC' ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
}

function splitOrder(order: string): [string, string] {
  const m = /^(.*?)\s+(ASC|DESC)$/i.exec(order.trim());
  return m ? [m[1], m[2].toUpperCase()] : [order.trim(), 'ASC'];
}

function RunsTable(props: {
  runs: api.Run[];
  cols: Column[];
  order: string;
  loading: boolean;
  selected: Set<string>;
  onSelect: (s: Set<string>) => void;
  onSort: (o: string) => void;
}) {
  const { runs, selected } = props;
  if (!runs.length) return <p class="empty">No runs match.</p>;
  const allOnPage = runs.every((r) => selected.has(r.info.run_id));
  const toggle = (id: string) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    props.onSelect(s);
  };
  const toggleAll = () => {
    const s = new Set(selected);
    runs.forEach((r) => (allOnPage ? s.delete(r.info.run_id) : s.add(r.info.run_id)));
    props.onSelect(s);
  };
  const sort = { order: props.order, onSort: props.onSort };
  return (
    <div class={`table-wrap${props.loading ? ' stale' : ''}`}>
      <table class="grid" id="runs-table">
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label="Select all runs on this page"
                checked={allOnPage}
                onChange={toggleAll}
              />
            </th>
            <SortHeader label="Run" sortKey="attributes.run_name" {...sort} />
            <SortHeader label="Status" sortKey="attributes.status" {...sort} />
            <SortHeader label="Started" sortKey="attributes.start_time" {...sort} />
            <th>Duration</th>
            {props.cols.map((c) => (
              <SortHeader
                key={colId(c)}
                label={c.key}
                sortKey={grammarKey(c.kind, c.key)}
                {...sort}
              />
            ))}
          </tr>
          <tr class="kinds">
            <th colSpan={5}></th>
            {props.cols.map((c) => (
              <th key={colId(c)} class={`kind-${c.kind}`}>
                {c.kind}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.info.run_id} data-run-id={r.info.run_id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select ${runName(r)}`}
                  checked={selected.has(r.info.run_id)}
                  onChange={() => toggle(r.info.run_id)}
                />
              </td>
              <td>
                <Link href={`/runs/${r.info.run_id}`} class="run-link">
                  {runName(r)}
                </Link>
              </td>
              <td>
                <span class={`status status-${r.info.status.toLowerCase()}`}>{r.info.status}</span>
              </td>
              <td class="nowrap">{fmtTime(r.info.start_time)}</td>
              <td>{fmtDuration(r.info.start_time, r.info.end_time)}</td>
              {props.cols.map((c) => (
                <td key={colId(c)} class={c.kind === 'metrics' ? 'num' : ''}>
                  {cellValue(r, c)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Pager(props: { pt: string; next?: string; go: (token: string) => void }) {
  if (!props.pt && !props.next) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        disabled={!props.pt}
        onClick={() => props.go(prevToken.get(props.pt) ?? '')}
      >
        ‹ Previous
      </button>
      <button
        type="button"
        id="next-page"
        disabled={!props.next}
        onClick={() => {
          prevToken.set(props.next!, props.pt);
          props.go(props.next!);
        }}
      >
        Next ›
      </button>
    </nav>
  );
}
