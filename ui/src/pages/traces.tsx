// MLflow traces: an experiment's list (/experiments/:id/traces) and one trace (/traces/:id) with
// its info, metadata, tags and span tree; a span's inputs, outputs and attributes on selection.
// URL state: the list pages by ?pt=<page token>; a trace page keeps ?span=<span id>.
import * as api from '../api';
import { Counted, KVTable, Row, Show, fmtTime, useAsync, useTitle } from '../common';
import { Link, Location, navigate, withQuery } from '../router';
import { ExperimentListPage } from './experiment_list';

const traceName = (t: api.TraceInfo) => t.tags?.['mlflow.traceName'] ?? '';
const stateClass = (state: string) =>
  state === 'OK' ? 'status-finished' : state === 'ERROR' ? 'status-failed' : 'status-running';
const ms = (rfc3339: string) => Date.parse(rfc3339);

function StateChip({ state }: { state: string }) {
  return <span class={`status ${stateClass(state)}`}>{state}</span>;
}

/** "1.250s" -> "1.25 s"; under a second in ms. */
function fmtSeconds(duration?: string): string {
  const s = parseFloat(duration ?? '');
  if (!Number.isFinite(s)) return '';
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}

const clip = (text = '', n = 80) => (text.length > n ? text.slice(0, n) + '…' : text);

export function ExperimentTracesPage({ loc, experimentId }: { loc: Location; experimentId: string }) {
  return (
    <ExperimentListPage
      loc={loc}
      experimentId={experimentId}
      title="Traces"
      what="traces"
      filterExample="trace.status = 'OK' AND name = 'predict'"
      load={(filter, pt) =>
        api.searchTraces(experimentId, filter, pt).then((r) => ({
          items: r.traces ?? [],
          next_page_token: r.next_page_token,
        }))
      }
    >
      {(items: api.TraceInfo[]) => (
        <table class="grid" id="traces-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th>Started</th>
              <th>Duration</th>
              <th>Request</th>
              <th>Response</th>
              <th>Run</th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => {
              const run = t.trace_metadata?.['mlflow.sourceRun'];
              return (
                <tr key={t.trace_id}>
                  <td>
                    <Link href={`/traces/${encodeURIComponent(t.trace_id)}`}>
                      {traceName(t) || t.trace_id}
                    </Link>
                  </td>
                  <td>
                    <StateChip state={t.state} />
                  </td>
                  <td>{fmtTime(ms(t.request_time))}</td>
                  <td class="num">{fmtSeconds(t.execution_duration)}</td>
                  <td class="mono wrap">{clip(t.request_preview)}</td>
                  <td class="mono wrap">{clip(t.response_preview)}</td>
                  <td>
                    {run && (
                      <Link class="mono" href={`/runs/${run}`}>
                        {run.slice(0, 8)}
                      </Link>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </ExperimentListPage>
  );
}

/** A span in either layout: MLflow 3's (OpenTelemetry names) or MLflow 2's. */
interface Span {
  id: string;
  parent: string;
  name: string;
  start: number; // ns
  end: number;
  status: string;
  attributes: Record<string, unknown>;
}

function readSpan(raw: Record<string, unknown>): Span {
  const context = (raw.context ?? {}) as Record<string, unknown>;
  const status = raw.status as { code?: string; message?: string } | undefined;
  const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));
  return {
    id: String(raw.span_id ?? context.span_id ?? ''),
    parent: String(raw.parent_span_id ?? raw.parent_id ?? ''),
    name: String(raw.name ?? ''),
    start: num(raw.start_time_unix_nano ?? raw.start_time),
    end: num(raw.end_time_unix_nano ?? raw.end_time),
    status: String(status?.code ?? raw.status_code ?? ''),
    attributes: (raw.attributes ?? {}) as Record<string, unknown>,
  };
}

/**
 * The spans in tree order (each after its parent), with their depth. Whatever the tree does not
 * reach (no id, a parent cycle, a repeated id) follows at the top level, each span once.
 */
function inTreeOrder(spans: Span[]): { span: Span; depth: number }[] {
  const ids = new Set(spans.map((s) => s.id));
  const children = new Map<string, Span[]>();
  for (const s of spans) {
    const parent = s.parent && s.parent !== s.id && ids.has(s.parent) ? s.parent : '';
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: { span: Span; depth: number }[] = [];
  const placed = new Set<Span>();
  const walked = new Set<string>();
  const walk = (parent: string, depth: number) => {
    if (walked.has(parent)) return;
    walked.add(parent);
    for (const s of (children.get(parent) ?? []).sort((a, b) => a.start - b.start)) {
      if (placed.has(s)) continue;
      placed.add(s);
      out.push({ span: s, depth });
      if (s.id) walk(s.id, depth + 1);
    }
  };
  walk('', 0);
  for (const s of spans) if (!placed.has(s)) out.push({ span: s, depth: 0 });
  return out;
}

/** Attribute values are JSON text (MLflow serialises them): shown parsed and indented. */
function pretty(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

export function TracePage({ loc, traceId }: { loc: Location; traceId: string }) {
  const trace = useAsync(() => api.getTrace(traceId), [traceId]);
  useTitle(trace.data ? traceName(trace.data) || traceId : 'Trace');
  return (
    <section>
      <Show a={trace} what="trace">
        {(t) => <TraceView loc={loc} trace={t} />}
      </Show>
    </section>
  );
}

function TraceView({ loc, trace }: { loc: Location; trace: api.TraceInfo }) {
  const experimentId = trace.trace_location.mlflow_experiment?.experiment_id ?? '';
  const spans = useAsync(() => api.traceSpans(trace), [trace.trace_id]);
  const run = trace.trace_metadata?.['mlflow.sourceRun'];
  const pairs = (m?: Record<string, string>) =>
    Object.entries(m ?? {}).map(([key, value]) => ({ key, value }));
  return (
    <>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> ›{' '}
        <Link href={`/experiments/${experimentId}`}>#{experimentId}</Link> ›{' '}
        <Link href={`/experiments/${experimentId}/traces`}>Traces</Link> ›
      </p>
      <h1>
        {traceName(trace) || trace.trace_id} <StateChip state={trace.state} />
      </h1>
      <table class="kv" id="trace-info">
        <tbody>
          <Row k="Trace ID" v={<span class="mono">{trace.trace_id}</span>} />
          <Row k="Started" v={fmtTime(ms(trace.request_time))} />
          <Row k="Duration" v={fmtSeconds(trace.execution_duration)} />
          {trace.client_request_id && <Row k="Client request" v={trace.client_request_id} />}
          {run && (
            <Row
              k="Run"
              v={
                <Link class="mono" href={`/runs/${run}`}>
                  {run}
                </Link>
              }
            />
          )}
          <Row k="Request" v={<span class="mono wrap">{trace.request_preview}</span>} />
          <Row k="Response" v={<span class="mono wrap">{trace.response_preview}</span>} />
        </tbody>
      </table>
      <h2>Spans</h2>
      <Show a={spans} what="spans">
        {(raw) => <SpanTree loc={loc} spans={raw.map(readSpan)} />}
      </Show>
      <Assessments trace={trace} />
      <div class="cols2">
        <KVTable id="trace-metadata" title="Metadata" rows={pairs(trace.trace_metadata)} />
        <KVTable id="trace-tags" title="Tags" rows={pairs(trace.tags)} />
      </div>
    </>
  );
}

/** Feedback and expectations logged on the trace; superseded ones struck through. */
function Assessments({ trace }: { trace: api.TraceInfo }) {
  const list = trace.assessments ?? [];
  const shown = (a: api.Assessment) => {
    const error = a.feedback?.error;
    if (error) return `error: ${error.error_message ?? error.error_code ?? ''}`;
    if (a.expectation?.serialized_value) return a.expectation.serialized_value.value ?? '';
    return JSON.stringify(a.feedback ? a.feedback.value : a.expectation?.value) ?? '';
  };
  return (
    <Counted title="Assessments" count={list.length}>
      <table class="grid" id="trace-assessments">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Value</th>
            <th>Source</th>
            <th>Rationale</th>
          </tr>
        </thead>
        <tbody>
          {list.map((a) => (
            <tr key={a.assessment_id} class={a.valid === false ? 'superseded' : ''}>
              <th scope="row" class="mono">{a.assessment_name}</th>
              <td>{a.feedback ? 'feedback' : 'expectation'}</td>
              <td class="mono wrap">{shown(a)}</td>
              <td>
                {a.source?.source_type?.toLowerCase().replace(/_/g, ' ')}
                {a.source?.source_id ? ` · ${a.source.source_id}` : ''}
              </td>
              <td class="wrap">{a.rationale}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Counted>
  );
}

function SpanTree({ loc, spans }: { loc: Location; spans: Span[] }) {
  if (!spans.length) return <p class="muted">The trace has no spans.</p>;
  const ordered = inTreeOrder(spans);
  const t0 = Math.min(...spans.map((s) => s.start));
  const total = Math.max(1, Math.max(...spans.map((s) => s.end)) - t0);
  const chosen = spans.find((s) => s.id === loc.query.get('span')) ?? ordered[0].span;
  return (
    <div class="spans">
      <table class="grid" id="span-tree">
        <tbody>
          {ordered.map(({ span, depth }) => (
            <tr key={span.id} class={span === chosen ? 'selected' : ''}>
              <td style={{ paddingLeft: `${8 + depth * 16}px` }}>
                <button
                  type="button"
                  class="tree-item"
                  onClick={() => navigate(withQuery(loc, { span: span.id }), true)}
                >
                  {span.name}
                </button>
              </td>
              <td class="num">{((span.end - span.start) / 1e6).toFixed(1)} ms</td>
              <td class="span-bar">
                <div
                  style={{
                    marginLeft: `${((span.start - t0) / total) * 100}%`,
                    width: `${Math.max(0.5, ((span.end - span.start) / total) * 100)}%`,
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="span-detail" id="span-detail">
        <h2 class="mono">{chosen.name}</h2>
        {chosen.status && <p class="muted">status {chosen.status}</p>}
        {Object.entries(chosen.attributes).map(([key, value]) => (
          <div key={key}>
            <h3 class="mono">{key}</h3>
            <pre class="file">{pretty(value)}</pre>
          </div>
        ))}
      </div>
    </div>
  );
}
