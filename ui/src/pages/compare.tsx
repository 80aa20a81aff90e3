// Compare selected runs: a param/metric table with rows whose values differ highlighted, and a
// parallel-coordinates plot (one axis per param/metric, one line per run).
// URL state: ?runs=<id,id>&diff=1 (only differing rows)&axes=<col,col>.
import * as api from '../api';
import { COLORS } from '../chart';
import { ErrorBox, Show, fmtNum, runName, useTitle } from '../common';
import { Link, Location, navigate, withQuery } from '../router';
import { useRuns } from './charts';
import { Column, cellValue, colId, formatCols, parseCols } from './columns';

export function ComparePage({ loc }: { loc: Location }) {
  useTitle('Compare runs');
  const { ids, runs } = useRuns(loc);
  if (ids.length < 2) return <ErrorBox error="Pick at least two runs to compare." />;
  return (
    <section>
      <Show a={runs} what="runs">
        {(rs) => <Compare loc={loc} runs={rs} />}
      </Show>
    </section>
  );
}

interface DiffRow {
  col: Column;
  values: string[];
  differs: boolean;
}

function diffRows(runs: api.Run[]): DiffRow[] {
  const cols: Column[] = [];
  const seen = new Set<string>();
  const add = (kind: 'params' | 'metrics', key: string) => {
    const c = { kind, key };
    if (!seen.has(colId(c))) {
      seen.add(colId(c));
      cols.push(c);
    }
  };
  runs.forEach((r) => r.data.params?.forEach((p) => add('params', p.key)));
  runs.forEach((r) => r.data.metrics?.forEach((m) => add('metrics', m.key)));
  cols.sort((a, b) => a.kind.localeCompare(b.kind) * -1 || a.key.localeCompare(b.key));
  return cols.map((col) => {
    const values = runs.map((r) => cellValue(r, col));
    return { col, values, differs: values.some((v) => v !== values[0]) };
  });
}

function Compare({ loc, runs }: { loc: Location; runs: api.Run[] }) {
  const onlyDiff = loc.query.get('diff') === '1';
  const rows = diffRows(runs);
  const shown = onlyDiff ? rows.filter((r) => r.differs) : rows;
  // Default axes: params that differ, then metrics; at most 8 so the plot stays readable.
  const axesParam = loc.query.get('axes');
  const axes =
    axesParam !== null
      ? parseCols(axesParam)
      : rows
          .filter((r) => r.differs || r.col.kind === 'metrics')
          .slice(0, 8)
          .map((r) => r.col);
  const exp = runs[0].info.experiment_id;
  return (
    <>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> ›{' '}
        <Link href={`/experiments/${exp}`}>Experiment #{exp}</Link> ›
      </p>
      <h1>Compare {runs.length} runs</h1>
      <label class="check">
        <input
          type="checkbox"
          checked={onlyDiff}
          onChange={(e) =>
            navigate(withQuery(loc, { diff: (e.target as HTMLInputElement).checked ? '1' : undefined }), true)
          }
        />{' '}
        Only rows that differ
      </label>
      <div class="table-wrap">
        <table class="grid" id="compare-table">
          <thead>
            <tr>
              <th></th>
              <th></th>
              {runs.map((r, i) => (
                <th key={r.info.run_id}>
                  <span class="swatch" style={{ background: COLORS[i % COLORS.length] }} />
                  <Link href={`/runs/${r.info.run_id}`}>{runName(r)}</Link>
                </th>
              ))}
              <th>Axis</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => {
              const id = colId(row.col);
              const on = axes.some((a) => colId(a) === id);
              return (
                <tr key={id} class={row.differs ? 'differs' : ''} data-col={id}>
                  <td class={`kind-${row.col.kind}`}>{row.col.kind}</td>
                  <th scope="row" class="mono">{row.col.key}</th>
                  {row.values.map((v, i) => (
                    <td key={i} class={row.col.kind === 'metrics' ? 'num' : ''}>
                      {v}
                    </td>
                  ))}
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Plot ${id}`}
                      checked={on}
                      onChange={() => {
                        const next = on ? axes.filter((a) => colId(a) !== id) : [...axes, row.col];
                        navigate(withQuery(loc, { axes: formatCols(next) }), true);
                      }}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <h2>Parallel coordinates</h2>
      <ParallelCoords runs={runs} axes={axes} />
    </>
  );
}

const W = 900;
const H = 320;
const PAD = { top: 30, bottom: 40, side: 60 };

interface Axis {
  col: Column;
  // Where a run's value sits on this axis, 0 (bottom) to 1 (top); null if the run lacks it.
  pos: (v: string) => number | null;
  ticks: { at: number; label: string }[];
}

/** A numeric axis spans min..max; otherwise (e.g. a model name) categories are spread evenly. */
function makeAxis(col: Column, values: string[]): Axis {
  const present = values.filter((v) => v !== '');
  const nums = present.map(Number);
  if (present.length && nums.every(Number.isFinite)) {
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const span = hi - lo || 1;
    return {
      col,
      pos: (v) => (v === '' ? null : hi === lo ? 0.5 : (Number(v) - lo) / span),
      ticks: hi === lo ? [{ at: 0.5, label: fmtNum(lo) }] : [
        { at: 0, label: fmtNum(lo) },
        { at: 1, label: fmtNum(hi) },
      ],
    };
  }
  const cats = [...new Set(present)].sort();
  const at = (i: number) => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
  return {
    col,
    pos: (v) => (v === '' ? null : at(cats.indexOf(v))),
    ticks: cats.map((c, i) => ({ at: at(i), label: c })),
  };
}

function ParallelCoords({ runs, axes }: { runs: api.Run[]; axes: Column[] }) {
  if (axes.length < 2) return <p class="muted">Tick at least two rows' "Axis" box to plot them.</p>;
  const built = axes.map((c) => makeAxis(c, runs.map((r) => cellValue(r, c))));
  const x = (i: number) => PAD.side + (i * (W - 2 * PAD.side)) / (built.length - 1);
  const y = (p: number) => PAD.top + (1 - p) * (H - PAD.top - PAD.bottom);
  return (
    <svg
      id="parallel-coords"
      class="parcoords"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="Parallel coordinates of the compared runs"
    >
      {built.map((a, i) => (
        <g key={colId(a.col)}>
          <line x1={x(i)} x2={x(i)} y1={y(0)} y2={y(1)} class="axis" />
          <text x={x(i)} y={H - 12} text-anchor="middle" class="axis-label">
            {a.col.key}
          </text>
          {a.ticks.map((t) => (
            // The last axis labels its ticks on its left so they stay inside the plot.
            <text
              key={t.label}
              x={i === built.length - 1 ? x(i) - 4 : x(i) + 4}
              y={y(t.at) + 4}
              text-anchor={i === built.length - 1 ? 'end' : 'start'}
              class="tick"
            >
              {t.label}
            </text>
          ))}
        </g>
      ))}
      {runs.map((r, ri) => {
        // A run missing a value on some axis breaks its line there instead of inventing one.
        let d = '';
        let pen = false;
        built.forEach((a, i) => {
          const p = a.pos(cellValue(r, a.col));
          if (p === null) {
            pen = false;
            return;
          }
          d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(p).toFixed(1)} `;
          pen = true;
        });
        return (
          <path
            key={r.info.run_id}
            d={d}
            class="run-line"
            stroke={COLORS[ri % COLORS.length]}
            data-run-id={r.info.run_id}
          >
            <title>{runName(r)}</title>
          </path>
        );
      })}
    </svg>
  );
}
