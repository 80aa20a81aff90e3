// One registered model: its versions with stages, aliases and tags, each version linked to the
// run that produced it; set/delete an alias, transition a stage, set a tag.
import { useState } from 'preact/hooks';
import * as api from '../api';
import { ActionButton, ErrorBox, InlineForm, Show, fmtTime, useAsync, useTitle } from '../common';
import { Link, Location } from '../router';

const STAGES = ['None', 'Staging', 'Production', 'Archived'];

export function ModelPage({ name }: { loc: Location; name: string }) {
  useTitle(name);
  const data = useAsync(
    () => Promise.all([api.getModel(name), api.searchVersions(name)]),
    [name],
  );
  return (
    <section>
      <p class="crumbs">
        <Link href="/models">Models</Link> ›
      </p>
      <h1>{name}</h1>
      <Show a={data} what="model">
        {([m, v]) => (
          <ModelView
            model={m.registered_model}
            versions={v.model_versions ?? []}
            reload={data.reload}
          />
        )}
      </Show>
    </section>
  );
}

function ModelView(props: {
  model: api.RegisteredModel;
  versions: api.ModelVersion[];
  reload: () => void;
}) {
  const { model, reload } = props;
  const versions = [...props.versions].sort((a, b) => Number(b.version) - Number(a.version));
  return (
    <>
      {model.description && <p class="description">{model.description}</p>}
      <h2>Versions</h2>
      <table class="grid" id="versions-table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Stage</th>
            <th>Aliases</th>
            <th>Source run</th>
            <th>Status</th>
            <th>Created</th>
            <th>Transition stage</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>v{v.version}</td>
              <td class="stage">{v.current_stage}</td>
              <td>
                {(v.aliases ?? []).map((a) => (
                  <span key={a} class="chip alias">
                    @{a}
                  </span>
                ))}
              </td>
              <td>
                {v.run_id ? (
                  <Link href={`/runs/${v.run_id}`} class="mono">
                    {v.run_id.slice(0, 8)}
                  </Link>
                ) : (
                  <span class="mono">{v.source}</span>
                )}
              </td>
              <td>{v.status}</td>
              <td>{fmtTime(v.creation_timestamp)}</td>
              <td>
                <StageControl model={model.name} version={v} onDone={reload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="cols2">
        <Aliases model={model} versions={versions} reload={reload} />
        <Tags model={model} reload={reload} />
      </div>
    </>
  );
}

function StageControl(props: { model: string; version: api.ModelVersion; onDone: () => void }) {
  const [stage, setStage] = useState(props.version.current_stage ?? 'None');
  return (
    <span class="stage-control">
      <select
        aria-label={`Stage of version ${props.version.version}`}
        value={stage}
        onChange={(e) => setStage((e.target as HTMLSelectElement).value)}
      >
        {STAGES.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>{' '}
      <ActionButton
        disabled={stage === props.version.current_stage}
        onAction={async () => {
          await api.transitionStage(props.model, props.version.version, stage);
          props.onDone();
        }}
      >
        Apply
      </ActionButton>
    </span>
  );
}

function Aliases(props: {
  model: api.RegisteredModel;
  versions: api.ModelVersion[];
  reload: () => void;
}) {
  const aliases = props.model.aliases ?? [];
  const [alias, setAlias] = useState('');
  const [version, setVersion] = useState(props.versions[0]?.version ?? '');
  const [err, setErr] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr(undefined);
    try {
      await api.setAlias(props.model.name, alias.trim(), version);
      setAlias('');
      props.reload();
    } catch (x) {
      setErr((x as Error).message);
    }
  };
  return (
    <div id="aliases">
      <h2>Aliases</h2>
      {aliases.length === 0 ? (
        <p class="muted">No aliases.</p>
      ) : (
        <table class="grid">
          <tbody>
            {aliases.map((a) => (
              <tr key={a.alias} data-alias={a.alias}>
                <th scope="row" class="mono">@{a.alias}</th>
                <td>v{a.version}</td>
                <td>
                  <ActionButton
                    class="danger small"
                    onAction={async () => {
                      await api.deleteAlias(props.model.name, a.alias);
                      props.reload();
                    }}
                  >
                    Delete
                  </ActionButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="inline-form" id="set-alias" onSubmit={submit}>
        <label>
          Alias <input value={alias} onInput={(e) => setAlias((e.target as HTMLInputElement).value)} />
        </label>{' '}
        <label>
          Version{' '}
          <select value={version} onChange={(e) => setVersion((e.target as HTMLSelectElement).value)}>
            {props.versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
        </label>{' '}
        <button type="submit" disabled={!alias.trim() || !version}>
          Set alias
        </button>
      </form>
      {err && <ErrorBox error={err} />}
    </div>
  );
}

function Tags({ model, reload }: { model: api.RegisteredModel; reload: () => void }) {
  const tags = model.tags ?? [];
  return (
    <div id="model-tags">
      <h2>Tags</h2>
      {tags.length === 0 ? (
        <p class="muted">No tags.</p>
      ) : (
        <table class="grid">
          <tbody>
            {tags.map((t) => (
              <tr key={t.key}>
                <th scope="row" class="mono">{t.key}</th>
                <td>{t.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <InlineForm
        label="Set tag"
        button="Set"
        placeholder="key=value"
        clearOnSuccess
        onSubmit={async (kv) => {
          const eq = kv.indexOf('=');
          if (eq <= 0) throw new Error('Write the tag as key=value');
          await api.setModelTag(model.name, kv.slice(0, eq).trim(), kv.slice(eq + 1).trim());
          reload();
        }}
      />
    </div>
  );
}
