// One uPlot chart of one metric key, with several runs overlaid. uPlot draws to a canvas and stays
// fast with 100k points, but the server downsamples anyway (at most ~one point per pixel), keeping
// each bucket's min/max, drawn as a faint band so a one-step spike still shows.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import * as api from './api';
import { ErrorBox, fmtNum } from './common';

export const COLORS = [
  '#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd',
  '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22',
];

export interface ChartOptions {
  xAxis: 'step' | 'time';
  log: boolean;
  smooth: number; // EMA weight in [0, 1); 0 is off
}

export interface ChartRun {
  id: string;
  name: string;
}

/** Exponential moving average with TensorBoard's debiasing, so early points are not pulled to 0. */
export function smooth(ys: (number | null)[], w: number): (number | null)[] {
  if (w <= 0) return ys;
  let last = 0;
  let n = 0;
  return ys.map((y) => {
    if (y === null || !Number.isFinite(y)) return y;
    last = last * w + (1 - w) * y;
    n++;
    return last / (1 - Math.pow(w, n));
  });
}

type Table = [number[], ...(number | null)[][]];

/** A run's history as columns [x, value, min, max], sorted by x with one point per x. */
function toTable(h: api.History, opts: ChartOptions): Table {
  const xs: number[] = [];
  const vs: (number | null)[] = [];
  const lo: (number | null)[] = [];
  const hi: (number | null)[] = [];
  const pos = (v: number) => (opts.log && !(v > 0) ? null : v); // log scale: drop v <= 0
  for (const p of h.points) {
    const x = opts.xAxis === 'time' ? p.timestamp / 1000 : p.step;
    if (xs.length && x === xs[xs.length - 1]) {
      // Same x twice (a step logged again): the later value wins, as in MLflow.
      vs[vs.length - 1] = pos(p.value);
      continue;
    }
    xs.push(x);
    vs.push(pos(p.value));
    lo.push(pos(p.min));
    hi.push(pos(p.max));
  }
  return [xs, smooth(vs, opts.smooth), lo, hi];
}

interface Loaded {
  runs: ChartRun[];
  histories: api.History[];
}

/** Fetches once the chart scrolls into view, so a run with 50 metrics does not load 50 at once. */
function useVisible(ref: { current: HTMLElement | null }): boolean {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    if (visible || !ref.current) return;
    const io = new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && setVisible(true), {
      rootMargin: '200px',
    });
    io.observe(ref.current);
    return () => io.disconnect();
  }, [visible]);
  return visible;
}

export function MetricChart(props: { metricKey: string; runs: ChartRun[]; opts: ChartOptions }) {
  const box = useRef<HTMLDivElement>(null);
  const plotEl = useRef<HTMLDivElement>(null);
  const visible = useVisible(box);
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<Error>();
  const runIds = props.runs.map((r) => r.id).join(',');

  useEffect(() => {
    if (!visible) return;
    let stale = false;
    setError(undefined);
    // About one point per pixel of chart width; min/max per bucket keep the extremes.
    const maxPoints = Math.max(200, Math.min(2000, box.current?.clientWidth ?? 800));
    Promise.all(
      props.runs.map((r) => api.metricHistory(r.id, props.metricKey, maxPoints, props.opts.xAxis)),
    ).then(
      (histories) => !stale && setLoaded({ runs: props.runs, histories }),
      (e) => !stale && setError(e),
    );
    return () => {
      stale = true;
    };
  }, [visible, runIds, props.metricKey, props.opts.xAxis]);

  useEffect(() => {
    if (!loaded || !plotEl.current) return;
    const u = draw(plotEl.current, props.metricKey, loaded, props.opts);
    const ro = new ResizeObserver(() => u.setSize(size(plotEl.current!)));
    ro.observe(plotEl.current);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [loaded, props.opts.log, props.opts.smooth]);

  const total = loaded?.histories.reduce((a, h) => a + h.total, 0) ?? 0;
  const shown = loaded?.histories.reduce((a, h) => a + h.points.length, 0) ?? 0;
  return (
    <figure
      class="chart"
      ref={box}
      data-metric={props.metricKey}
      data-series={loaded ? loaded.runs.length : undefined}
      data-points={loaded ? shown : undefined}
    >
      <figcaption>
        <strong>{props.metricKey}</strong>
        {loaded && (
          <span class="muted">
            {' '}
            {total.toLocaleString()} points
            {shown < total ? `, ${shown.toLocaleString()} drawn (min/max band)` : ''}
          </span>
        )}
      </figcaption>
      {error ? <ErrorBox error={error} /> : !loaded && <p class="loading">Loading chart…</p>}
      <div ref={plotEl} class="plot" />
    </figure>
  );
}

function size(el: HTMLElement) {
  return { width: Math.max(300, el.clientWidth), height: 240 };
}

function draw(el: HTMLElement, key: string, d: Loaded, opts: ChartOptions): uPlot {
  const tables = d.histories.map((h) => toTable(h, opts));
  // uPlot needs one shared x column; join() aligns the runs' x values, filling gaps with null.
  const data = (tables.length === 1 ? tables[0] : uPlot.join(tables as any)) as uPlot.AlignedData;
  const series: uPlot.Series[] = [{ label: opts.xAxis === 'time' ? 'time' : 'step' }];
  const bands: uPlot.Band[] = [];
  d.runs.forEach((r, i) => {
    const color = COLORS[i % COLORS.length];
    const base = 1 + i * 3;
    series.push({ label: r.name, stroke: color, width: 1.5, spanGaps: true, value: fmtValue });
    // min and max only bound the band; the band-edge class hides them from the legend.
    const faint = {
      class: 'band-edge',
      stroke: 'transparent',
      width: 0,
      spanGaps: true,
      points: { show: false },
    };
    series.push({ ...faint, label: `${r.name} min`, value: fmtValue });
    const down = d.histories[i].downsampled;
    // The max edge gets a thin line of its own: a one-step spike is a band one pixel wide.
    series.push({
      ...faint,
      label: `${r.name} max`,
      value: fmtValue,
      ...(down ? { stroke: `${color}99`, width: 1 } : {}),
    });
    if (down) bands.push({ series: [base + 2, base + 1], fill: `${color}33` });
  });
  const o: uPlot.Options = {
    ...size(el),
    series,
    bands,
    scales: {
      x: { time: opts.xAxis === 'time' },
      y: opts.log ? { distr: 3 } : {},
    },
    axes: [{}, { size: 60, values: (_u, vals) => vals.map((v) => fmtNum(v)) }],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
  const u = new uPlot(o, data, el);
  el.setAttribute('aria-label', `Chart of ${key}`);
  return u;
}

const fmtValue = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : fmtNum(v));

/** The shared controls: x axis, log scale, smoothing. */
export function ChartControls(props: { opts: ChartOptions; onChange: (o: ChartOptions) => void }) {
  const { opts } = props;
  return (
    <div class="toolbar chart-controls">
      <label>
        X axis{' '}
        <select
          value={opts.xAxis}
          onChange={(e) =>
            props.onChange({ ...opts, xAxis: (e.target as HTMLSelectElement).value as 'step' | 'time' })
          }
        >
          <option value="step">step</option>
          <option value="time">time</option>
        </select>
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={opts.log}
          onChange={(e) => props.onChange({ ...opts, log: (e.target as HTMLInputElement).checked })}
        />{' '}
        Log scale
      </label>
      <label>
        Smoothing{' '}
        <input
          type="range"
          min="0"
          max="0.99"
          step="0.01"
          value={opts.smooth}
          onInput={(e) =>
            props.onChange({ ...opts, smooth: Number((e.target as HTMLInputElement).value) })
          }
        />{' '}
        <span class="mono">{opts.smooth.toFixed(2)}</span>
      </label>
    </div>
  );
}

/** Chart options from the URL (?x=time&log=1&smooth=0.6) and back. */
export function optsFromQuery(q: URLSearchParams): ChartOptions {
  const s = Number(q.get('smooth') ?? 0);
  return {
    xAxis: q.get('x') === 'time' ? 'time' : 'step',
    log: q.get('log') === '1',
    smooth: Number.isFinite(s) ? Math.min(0.99, Math.max(0, s)) : 0,
  };
}
export function optsToQuery(o: ChartOptions): Record<string, string | undefined> {
  return {
    x: o.xAxis === 'time' ? 'time' : undefined,
    log: o.log ? '1' : undefined,
    smooth: o.smooth > 0 ? String(o.smooth) : undefined,
  };
}
