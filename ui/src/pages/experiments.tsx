// Experiments: list, search by name, create, rename, delete and restore.
// URL state: ?q=<name search>&view=active|deleted.
import { useState } from 'preact/hooks';
import * as api from '../api';
import { ActionButton, InlineForm, SearchForm, Show, fmtTime, useAsync, useTitle } from '../common';
import { Link, Location, navigate, withQuery } from '../router';

export function ExperimentsPage({ loc }: { loc: Location }) {
  useTitle('Experiments');
  const q = loc.query.get('q') ?? '';
  const deleted = loc.query.get('view') === 'deleted';
  // The server's experiment filter is SQL LIKE; a plain word matches anywhere in the name.
  const filter = q ? `name LIKE '%${q.replace(/'/g, "\\'")}%'` : '';
  const list = useAsync(
    () => api.searchExperiments(filter, deleted ? 'DELETED_ONLY' : 'ACTIVE_ONLY'),
    [filter, deleted],
  );

  return (
    <section>
      <h1>Experiments</h1>
      <div class="toolbar">
        <SearchForm loc={loc} placeholder="experiment name" />
        <label class="check">
          <input
            type="checkbox"
            checked={deleted}
            onChange={(e) =>
              navigate(
                withQuery(loc, {
                  view: (e.target as HTMLInputElement).checked ? 'deleted' : undefined,
                }),
              )
            }
          />{' '}
          Show deleted
        </label>
        <InlineForm
          label="New experiment"
          button="Create"
          placeholder="name"
          clearOnSuccess
          onSubmit={async (name) => {
            const r = await api.createExperiment(name);
            navigate(`/experiments/${r.experiment_id}`);
          }}
        />
      </div>
      <Show a={list} what="experiments">
        {(d) => (
          <ExperimentTable
            experiments={d.experiments ?? []}
            deleted={deleted}
            onChange={list.reload}
          />
        )}
      </Show>
    </section>
  );
}

function ExperimentTable(props: {
  experiments: api.Experiment[];
  deleted: boolean;
  onChange: () => void;
}) {
  const [editing, setEditing] = useState<string>();
  if (!props.experiments.length)
    return <p class="empty">{props.deleted ? 'No deleted experiments.' : 'No experiments.'}</p>;
  return (
    <table class="grid" id="experiments-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>ID</th>
          <th>Created</th>
          <th>Last update</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {props.experiments.map((e) => (
          <tr key={e.experiment_id} data-experiment-id={e.experiment_id}>
            <td>
              {editing === e.experiment_id ? (
                <InlineForm
                  label="Name"
                  button="Save"
                  initial={e.name}
                  onSubmit={async (name) => {
                    await api.renameExperiment(e.experiment_id, name);
                    setEditing(undefined);
                    props.onChange();
                  }}
                />
              ) : props.deleted ? (
                e.name
              ) : (
                <Link href={`/experiments/${e.experiment_id}`}>{e.name}</Link>
              )}
            </td>
            <td class="mono">{e.experiment_id}</td>
            <td>{fmtTime(e.creation_time)}</td>
            <td>{fmtTime(e.last_update_time)}</td>
            <td class="actions">
              {props.deleted ? (
                <ActionButton
                  onAction={async () => {
                    await api.restoreExperiment(e.experiment_id);
                    props.onChange();
                  }}
                >
                  Restore
                </ActionButton>
              ) : (
                <>
                  <button
                    type="button"
                    onClick={() => setEditing(editing === e.experiment_id ? undefined : e.experiment_id)}
                  >
                    {editing === e.experiment_id ? 'Cancel' : 'Rename'}
                  </button>{' '}
                  <ActionButton
                    class="danger"
                    onAction={async () => {
                      if (!confirm(`Delete experiment "${e.name}"? It can be restored later.`)) return;
                      await api.deleteExperiment(e.experiment_id);
                      props.onChange();
                    }}
                  >
                    Delete
                  </ActionButton>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
