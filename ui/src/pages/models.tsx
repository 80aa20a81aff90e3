// The model registry: registered models with their latest versions, searchable by name.
// URL state: ?q=<name search>.
import * as api from '../api';
import { SearchForm, Show, fmtTime, useAsync, useTitle } from '../common';
import { Link, Location } from '../router';

export function ModelsPage({ loc }: { loc: Location }) {
  useTitle('Models');
  const q = loc.query.get('q') ?? '';
  const filter = q ? `name LIKE '%${q.replace(/'/g, "\\'")}%'` : '';
  const list = useAsync(() => api.searchModels(filter), [filter]);
  return (
    <section>
      <h1>Registered models</h1>
      <SearchForm loc={loc} placeholder="model name" class="toolbar" />
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
