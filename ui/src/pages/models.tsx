// The model registry: registered models with their latest versions, searchable by name.
// URL state: ?q=<name search>.
import { useState } from 'preact/hooks';
import * as api from '../api';
import { Show, fmtTime, useAsync, useTitle } from '../common';
import { Link, Location, navigate, withQuery } from '../router';

export function ModelsPage({ loc }: { loc: Location }) {
  useTitle('Models');
  const q = loc.query.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const filter = q ? `name LIKE '%${q.replace(/'/g, "\\'")}%'` : '';
  const list = useAsync(() => api.searchModels(filter), [filter]);
  return (
    <section>
      <h1>Registered models</h1>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withQuery(loc, { q: search || undefined }), true);
        }}
      >
        <label>
          Search{' '}
          <input
            value={search}
            placeholder="model name"
            onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
          />
        </label>{' '}
        <button type="submit">Search</button>
      </form>
      <Show a={list} what="models">
        {(d) =>
          !d.registered_models?.length ? (
            <p class="empty">No registered models.</p>
          ) : (
            <table class="grid" id="models-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Latest versions</th>
                  <th>Aliases</th>
                  <th>Tags</th>
                  <th>Last update</th>
                </tr>
              </thead>
              <tbody>
                {d.registered_models.map((m) => (
                  <tr key={m.name}>
                    <td>
                      <Link href={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                    </td>
                    <td>
                      {(m.latest_versions ?? []).map((v) => (
                        <span key={v.version} class="chip">
                          v{v.version}
                          {v.current_stage && v.current_stage !== 'None' ? ` · ${v.current_stage}` : ''}
                        </span>
                      ))}
                    </td>
                    <td>
                      {(m.aliases ?? []).map((a) => (
                        <span key={a.alias} class="chip alias">
                          @{a.alias} → v{a.version}
                        </span>
                      ))}
                    </td>
                    <td>
                      {(m.tags ?? []).map((t) => (
                        <span key={t.key} class="chip">
                          {t.key}={t.value}
                        </span>
                      ))}
                    </td>
                    <td>{fmtTime(m.last_updated_timestamp)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </section>
  );
}
