// A run: overview (info, note, params, metrics, tags, logged model), metric charts, artifacts.
// URL state: ?tab=overview|charts|artifacts&path=<artifact>&x=&log=&smooth=.
import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import { ChartControls, optsFromQuery, optsToQuery } from '../chart';
import {
  ActionButton,
  Counted,
  InlineForm,
  KVTable,
  Row,
  Show,
  Tabs,
  fmtDuration,
  fmtNum,
  fmtTime,
  runName,
  useAsync,
  useTitle,
} from '../common';
import { Link, Location, href, navigate, withQuery } from '../router';
import { Artifacts, TextPreview, findModels } from './artifacts';
import { statusLabel } from './logged_model';
import { ChartGrid, metricKeys } from './charts';

const NOTE_TAG = 'mlflow.note.content';
const TABS = ['overview', 'charts', 'artifacts'] as const;

export function RunPage({ loc, runId }: { loc: Location; runId: string }) {
  const run = useAsync(() => api.getRun(runId).then((r) => r.run), [runId]);
  useTitle(run.data ? runName(run.data) : 'Run');
  return (
    <section>
      <Show a={run} what="run">
        {(r) => <RunView loc={loc} run={r} reload={run.reload} />}
      </Show>
    </section>
  );
}

function RunView({ loc, run, reload }: { loc: Location; run: api.Run; reload: () => void }) {
  const tab = (TABS as readonly string[]).includes(loc.query.get('tab') ?? '')
    ? loc.query.get('tab')!
    : 'overview';
  const exp = useAsync(() => api.getExperiment(run.info.experiment_id), [run.info.experiment_id]);
  const [renaming, setRenaming] = useState(false);
  return (
    <>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> ›{' '}
        <Link href={`/experiments/${run.info.experiment_id}`}>
          {exp.data?.experiment.name ?? `#${run.info.experiment_id}`}
        </Link>{' '}
        ›
      </p>
      <h1>
        {renaming ? (
          <InlineForm
            label="Run name"
            button="Save"
            initial={runName(run)}
            onSubmit={async (name) => {
              await api.renameRun(run.info.run_id, name);
              setRenaming(false);
              reload();
            }}
          />
        ) : (
          <>
            {runName(run)}{' '}
            <button type="button" class="small" onClick={() => setRenaming(true)}>
              Rename
            </button>
          </>
        )}
      </h1>
      <Tabs loc={loc} tabs={TABS} active={tab} />
      {tab === 'overview' && <Overview run={run} reload={reload} />}
      {tab === 'charts' && <RunCharts loc={loc} run={run} />}
      {tab === 'artifacts' && (
        <Artifacts
          source={api.runArtifacts(run.info)}
          path={loc.query.get('path') ?? ''}
          onSelect={(p) => navigate(withQuery(loc, { path: p }), true)}
        />
      )}
    </>
  );
}

function Overview({ run, reload }: { run: api.Run; reload: () => void }) {
  const i = run.info;
  const tags = (run.data.tags ?? []).filter((t) => t.key !== NOTE_TAG);
  return (
    <div class="overview">
      <table class="kv" id="run-info">
        <tbody>
          <Row k="Run ID" v={<span class="mono">{i.run_id}</span>} />
          <Row k="Status" v={<span class={`status status-${i.status.toLowerCase()}`}>{i.status}</span>} />
          <Row k="Started" v={fmtTime(i.start_time)} />
          <Row k="Ended" v={fmtTime(i.end_time)} />
          <Row k="Duration" v={fmtDuration(i.start_time, i.end_time)} />
          <Row k="User" v={i.user_id} />
          <Row k="Artifact URI" v={<span class="mono">{i.artifact_uri}</span>} />
          <Row k="Lifecycle" v={i.lifecycle_stage} />
          <Row
            k="Traces"
            v={
              <Link
                id="run-traces"
                href={href(`/experiments/${i.experiment_id}/traces`, {
                  filter: `attribute.run_id = '${i.run_id}'`,
                })}
              >
                traces of this run
              </Link>
            }
          />
        </tbody>
      </table>
      <Note run={run} reload={reload} />
      <div class="cols3">
        <KVTable id="run-params" title="Parameters" rows={run.data.params ?? []} />
        <MetricsTable run={run} />
        <KVTable id="run-tags" title="Tags" rows={tags} />
      </div>
      <LoggedModels run={run} />
    </div>
  );
}

function MetricsTable({ run }: { run: api.Run }) {
  const ms = [...(run.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <Counted title="Metrics" count={ms.length}>
      <table class="grid" id="run-metrics">
        <thead>
          <tr>
            <th>Key</th>
            <th>Latest</th>
            <th>Step</th>
          </tr>
        </thead>
        <tbody>
          {ms.map((m) => (
            <tr key={m.key}>
              <th scope="row" class="mono">
                <Link href={href(`/runs/${run.info.run_id}`, { tab: 'charts', key: m.key })}>
                  {m.key}
                </Link>
              </th>
              <td class="num">{fmtNum(m.value)}</td>
              <td class="num">{m.step}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Counted>
  );
}

/** The run's note is the mlflow.note.content tag, as MLflow keeps it; edited in place. */
function Note({ run, reload }: { run: api.Run; reload: () => void }) {
  const note = run.data.tags?.find((t) => t.key === NOTE_TAG)?.value ?? '';
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(note);
  useEffect(() => setText(note), [note]);
  return (
    <div class="note" id="run-note">
      <h2>Note</h2>
      {editing ? (
        <>
          <textarea
            rows={6}
            value={text}
            aria-label="Note"
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          />
          <div>
            <ActionButton
              onAction={async () => {
                await api.setRunTag(run.info.run_id, NOTE_TAG, text);
                setEditing(false);
                reload();
              }}
            >
              Save note
            </ActionButton>{' '}
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </>
      ) : (
        <>
          {note ? <pre class="note-text">{note}</pre> : <p class="muted">No note.</p>}
          <button type="button" class="small" onClick={() => setEditing(true)}>
            Edit note
          </button>
        </>
      )}
    </div>
  );
}

function LoggedModels({ run }: { run: api.Run }) {
  const outputs = run.outputs?.model_outputs ?? [];
  // MLflow 3 keeps a model's files with the model, not in the run's artifacts: the run names it
  // as an output. Older clients leave the model in the run's artifacts.
  const legacy = useAsync(
    () => (outputs.length ? Promise.resolve([]) : findModels(run)),
    [run.info.run_id],
  );
  if (outputs.length) {
    return (
      <div id="logged-models">
        {[...new Set(outputs.map((o) => o.model_id))].map((id) => (
          <OutputModel key={id} modelId={id} />
        ))}
      </div>
    );
  }
  if (!legacy.data?.length) return null;
  const source = api.runArtifacts(run.info);
  return (
    <div id="logged-models">
      {legacy.data.map((p) => {
        const file = p ? `${p}/MLmodel` : 'MLmodel';
        return (
          <div key={p} class="logged-model">
            <h2>
              Logged model <span class="mono">{p || '(root)'}</span>{' '}
              <Link
                class="small"
                href={href(`/runs/${run.info.run_id}`, { tab: 'artifacts', path: file })}
              >
                files
              </Link>
            </h2>
            <TextPreview source={source} path={file} />
          </div>
        );
      })}
    </div>
  );
}

/** A logged model the run produced (MLflow 3): its name, status and MLmodel. */
function OutputModel({ modelId }: { modelId: string }) {
  const model = useAsync(() => api.getLoggedModel(modelId).then((r) => r.model), [modelId]);
  return (
    <div class="logged-model">
      <Show a={model} what="logged model">
        {(m) => (
          <>
            <h2>
              Logged model{' '}
              <Link href={`/logged-models/${encodeURIComponent(m.info.model_id)}`}>
                {m.info.name}
              </Link>{' '}
              <span class="muted">{statusLabel(m.info.status)}</span>
            </h2>
            <TextPreview source={api.modelArtifacts(m.info)} path="MLmodel" />
          </>
        )}
      </Show>
    </div>
  );
}

function RunCharts({ loc, run }: { loc: Location; run: api.Run }) {
  const opts = optsFromQuery(loc.query);
  const only = loc.query.get('key');
  const keys = metricKeys([run]).filter((k) => !only || k === only);
  return (
    <>
      <ChartControls opts={opts} onChange={(o) => navigate(withQuery(loc, optsToQuery(o)), true)} />
      {only && (
        <p>
          Showing <span class="mono">{only}</span> only.{' '}
          <Link href={withQuery(loc, { key: undefined })}>Show all metrics</Link>
        </p>
      )}
      <ChartGrid runs={[run]} keys={keys} opts={opts} />
    </>
  );
}
