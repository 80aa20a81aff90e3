// MLflow 3's logged models: an experiment's list (/experiments/:id/models) and one model
// (/logged-models/:id) with its info, params, metrics, tags and files.
// URL state: ?tab=overview|files&path=<file>; the list pages by ?pt=<page token>.
import * as api from '../api';
import { Counted, KVTable, Row, Show, Tabs, fmtNum, fmtTime, useAsync, useTitle } from '../common';
import { Link, Location, navigate, withQuery } from '../router';
import { ExperimentListPage } from './experiment_list';
import { Artifacts, TextPreview } from './artifacts';

/** LOGGED_MODEL_READY -> ready. */
export function statusLabel(status?: string): string {
  return (status ?? 'LOGGED_MODEL_STATUS_UNSPECIFIED').replace(/^LOGGED_MODEL_/, '').toLowerCase();
}

export function ExperimentModelsPage({ loc, experimentId }: { loc: Location; experimentId: string }) {
  return (
    <ExperimentListPage
      loc={loc}
      experimentId={experimentId}
      title="Logged models"
      what="logged models"
      filterExample="metrics.acc > 0.9 AND status = 'READY'"
      load={(filter, pt) =>
        api.searchLoggedModels(experimentId, filter, pt).then((r) => ({
          items: r.models ?? [],
          next_page_token: r.next_page_token,
        }))
      }
    >
      {(items: api.LoggedModel[]) => (
        <table class="grid" id="logged-models-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Type</th>
              <th>Created</th>
              <th>Source run</th>
              <th>Metrics</th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => (
              <tr key={m.info.model_id}>
                <td>
                  <Link href={`/logged-models/${encodeURIComponent(m.info.model_id)}`}>
                    {m.info.name}
                  </Link>
                </td>
                <td>{statusLabel(m.info.status)}</td>
                <td>{m.info.model_type ?? ''}</td>
                <td>{fmtTime(m.info.creation_timestamp_ms)}</td>
                <td>
                  {m.info.source_run_id && (
                    <Link class="mono" href={`/runs/${m.info.source_run_id}`}>
                      {m.info.source_run_id.slice(0, 8)}
                    </Link>
                  )}
                </td>
                <td>
                  {latestMetrics(m).map((x) => (
                    <span key={metricLabel(x) + (x.dataset_digest ?? '')} class="chip">
                      {metricLabel(x)}={fmtNum(x.value)}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </ExperimentListPage>
  );
}

const TABS = ['overview', 'files'] as const;

export function LoggedModelPage({ loc, modelId }: { loc: Location; modelId: string }) {
  const model = useAsync(() => api.getLoggedModel(modelId).then((r) => r.model), [modelId]);
  useTitle(model.data?.info.name ?? 'Logged model');
  return (
    <section>
      <Show a={model} what="logged model">
        {(m) => <ModelView loc={loc} model={m} />}
      </Show>
    </section>
  );
}

function ModelView({ loc, model }: { loc: Location; model: api.LoggedModel }) {
  const i = model.info;
  const tab = loc.query.get('tab') === 'files' ? 'files' : 'overview';
  const exp = useAsync(() => api.getExperiment(i.experiment_id), [i.experiment_id]);
  const source = api.modelArtifacts(i);
  return (
    <>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> ›{' '}
        <Link href={`/experiments/${i.experiment_id}`}>
          {exp.data?.experiment.name ?? `#${i.experiment_id}`}
        </Link>{' '}
        › <Link href={`/experiments/${i.experiment_id}/models`}>Logged models</Link> ›
      </p>
      <h1>
        {i.name} <span class="muted">{statusLabel(i.status)}</span>
      </h1>
      <Tabs loc={loc} tabs={TABS} active={tab} />
      {tab === 'files' ? (
        <Artifacts
          source={source}
          path={loc.query.get('path') ?? ''}
          onSelect={(p) => navigate(withQuery(loc, { path: p }), true)}
        />
      ) : (
        <div class="overview">
          <table class="kv" id="logged-model-info">
            <tbody>
              <Row k="Model ID" v={<span class="mono">{i.model_id}</span>} />
              <Row k="Status" v={statusLabel(i.status)} />
              {i.status_message && <Row k="Status message" v={i.status_message} />}
              <Row k="Type" v={i.model_type} />
              <Row k="Created" v={fmtTime(i.creation_timestamp_ms)} />
              <Row k="Updated" v={fmtTime(i.last_updated_timestamp_ms)} />
              <Row
                k="Source run"
                v={
                  i.source_run_id && (
                    <Link class="mono" href={`/runs/${i.source_run_id}`}>
                      {i.source_run_id}
                    </Link>
                  )
                }
              />
              <Row k="Artifact URI" v={<span class="mono">{i.artifact_uri}</span>} />
              <Row k="Load with" v={<span class="mono">{`models:/${i.model_id}`}</span>} />
            </tbody>
          </table>
          <div class="cols3">
            <KVTable id="logged-model-params" title="Parameters" rows={model.data?.params ?? []} />
            <Metrics model={model} />
            <KVTable id="logged-model-tags" title="Tags" rows={i.tags ?? []} />
          </div>
          <h2>MLmodel</h2>
          <TextPreview source={source} path="MLmodel" />
        </div>
      )}
    </>
  );
}

const metricLabel = (m: api.ModelMetric) => (m.dataset_name ? `${m.key} (${m.dataset_name})` : m.key);

/** Each metric's latest value (by timestamp, then step) per dataset, sorted by key. */
function latestMetrics(model: api.LoggedModel): api.ModelMetric[] {
  const latest = new Map<string, api.ModelMetric>();
  for (const m of model.data?.metrics ?? []) {
    const id = `${m.key}\u0000${m.dataset_name ?? ''}\u0000${m.dataset_digest ?? ''}`;
    const seen = latest.get(id);
    if (!seen || m.timestamp > seen.timestamp || (m.timestamp === seen.timestamp && m.step >= seen.step))
      latest.set(id, m);
  }
  return [...latest.values()].sort((a, b) => metricLabel(a).localeCompare(metricLabel(b)));
}

function Metrics({ model }: { model: api.LoggedModel }) {
  const ms = latestMetrics(model);
  return (
    <Counted title="Metrics" count={ms.length}>
      <table class="grid" id="logged-model-metrics">
        <thead>
          <tr>
            <th>Key</th>
            <th>Dataset</th>
            <th>Value</th>
            <th>Step</th>
          </tr>
        </thead>
        <tbody>
          {ms.map((m) => (
            <tr key={metricLabel(m) + (m.dataset_digest ?? '')}>
              <th scope="row" class="mono">{m.key}</th>
              <td>{m.dataset_name ?? ''}</td>
              <td class="num">{fmtNum(m.value)}</td>
              <td class="num">{m.step}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Counted>
  );
}
