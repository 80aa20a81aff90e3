// The frame of a page that lists one kind of thing in an experiment (its logged models, its
// traces): crumbs back to the experiment, the title, a filter in the server's grammar, the page of
// items or a note that there are none, and a link to the next page.
// URL state: ?filter=<filter>&pt=<page token>.
import type { ComponentChildren } from 'preact';
import * as api from '../api';
import { FilterBox, Show, useAsync, useTitle } from '../common';
import { Link, Location, navigate, withQuery } from '../router';

export interface ListPage<T> {
  items: T[];
  next_page_token?: string;
}

export function ExperimentListPage<T>(props: {
  loc: Location;
  experimentId: string;
  title: string; // "Logged models"
  what: string; // "logged models", for loading and empty messages
  filterExample: string;
  load: (filter: string, pageToken: string) => Promise<ListPage<T>>;
  children: (items: T[]) => ComponentChildren;
}) {
  const { loc, experimentId } = props;
  const pt = loc.query.get('pt') ?? '';
  const filter = loc.query.get('filter') ?? '';
  const exp = useAsync(() => api.getExperiment(experimentId), [experimentId]);
  useTitle(`${props.title} · ${exp.data?.experiment.name ?? 'Experiment'}`);
  const list = useAsync(() => props.load(filter, pt), [experimentId, filter, pt]);
  return (
    <section>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> ›{' '}
        <Link href={`/experiments/${experimentId}`}>
          {exp.data?.experiment.name ?? `#${experimentId}`}
        </Link>{' '}
        ›
      </p>
      <h1>{props.title}</h1>
      <FilterBox
        id="list-filter"
        filter={filter}
        placeholder={props.filterExample}
        onSubmit={(f) => navigate(withQuery(loc, { filter: f || undefined, pt: undefined }))}
      />
      <Show a={list} what={props.what}>
        {(d) =>
          !d.items.length ? (
            <p class="empty">
              No {props.what} {filter ? 'match the filter' : 'in this experiment'}.
            </p>
          ) : (
            <>
              {props.children(d.items)}
              {d.next_page_token && (
                <p>
                  <Link href={withQuery(loc, { pt: d.next_page_token })}>Next page</Link>
                </p>
              )}
            </>
          )
        }
      </Show>
    </section>
  );
}
