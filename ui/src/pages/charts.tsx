// Metric charts of selected runs: one chart per metric key, all runs overlaid.
// URL state: ?runs=<id,id>&x=step|time&log=1&smooth=<0..0.99>&key=<substring filter>.
import { useState } from 'preact/hooks';
import * as api from '../api';
import { ChartControls, ChartRun, MetricChart, optsFromQuery, optsToQuery } from '../chart';
import { ErrorBox, Show, runName, useAsync, useTitle } from '../common';
import { Link, Location, navigate, withQuery } from '../router';

/** The runs named in ?runs=, fetched in parallel. */
export function useRuns(loc: Location) {
  const ids = (loc.query.get('runs') ?? '').split(',').filter(Boolean);
  const key = ids.join(',');
  return {
    ids,
    runs: useAsync(() => Promise.all(ids.map((id) => api.getRun(id).then((r) => r.run))), [key]),
  };
}

export function ChartsPage({ loc }: { loc: Location }) {
  useTitle('Charts');
  const { ids, runs } = useRuns(loc);
  if (!ids.length) return <ErrorBox error="No runs selected: pick runs in an experiment's table." />;
  return (
    <section>
      <Show a={runs} what="runs">
        {(rs) => <Charts loc={loc} runs={rs} />}
      </Show>
    </section>
  );
}

function Charts({ loc, runs }: { loc: Location; runs: api.Run[] }) {
  const opts = optsFromQuery(loc.query);
  const [keyFilter, setKeyFilter] = useState(loc.query.get('key') ?? '');
  const keys = metricKeys(runs).filter((k) => k.toLowerCase().includes(keyFilter.toLowerCase()));
  const exp = runs[0]?.info.experiment_id;
  return (
    <>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> ›{' '}
        {exp && <Link href={`/experiments/${exp}`}>Experiment #{exp}</Link>} ›
      </p>
      <h1>Metrics of {runs.length} run(s)</h1>
      <ul class="legend-list">
        {runs.map((r) => (
          <li key={r.info.run_id}>
            <Link href={`/runs/${r.info.run_id}`}>{runName(r)}</Link>
          </li>
        ))}
      </ul>
      <ChartControls opts={opts} onChange={(o) => navigate(withQuery(loc, optsToQuery(o)), true)} />
      <label>
        Metric{' '}
        <input
          value={keyFilter}
          placeholder="filter keys"
          onInput={(e) => {
            const v = (e.target as HTMLInputElement).value;
            setKeyFilter(v);
            navigate(withQuery(loc, { key: v || undefined }), true);
          }}
        />
      </label>
      <ChartGrid runs={runs} keys={keys} opts={opts} />
    </>
  );
}

export function metricKeys(runs: api.Run[]): string[] {
  const s = new Set<string>();
  runs.forEach((r) => r.data.metrics?.forEach((m) => s.add(m.key)));
  return [...s].sort();
}

export function ChartGrid(props: { runs: api.Run[]; keys: string[]; opts: ReturnType<typeof optsFromQuery> }) {
  const chartRuns: ChartRun[] = props.runs.map((r) => ({ id: r.info.run_id, name: runName(r) }));
  if (!props.keys.length) return <p class="empty">No metrics.</p>;
  return (
    <div class="charts">
      {props.keys.map((k) => (
        <MetricChart
          key={k}
          metricKey={k}
          // A run without this key would only add an empty series (and a failed fetch).
          runs={chartRuns.filter((_, i) => props.runs[i].data.metrics?.some((m) => m.key === k))}
          opts={props.opts}
        />
      ))}
    </div>
  );
}
