// The page shell (top bar, sign-in), the route table. Pages are plain components keyed by URL.
import { Component, type ComponentChildren } from 'preact';
import { LoginForm, UserMenu, useAuth } from './auth';
import { ErrorBox } from './common';
import { Link, match, useLocation } from './router';
import { ExperimentsPage } from './pages/experiments';
import { RunsPage } from './pages/runs';
import { RunPage } from './pages/run';
import { ChartsPage } from './pages/charts';
import { ComparePage } from './pages/compare';
import { ModelsPage } from './pages/models';
import { ModelPage } from './pages/model';
import { ExperimentModelsPage, LoggedModelPage } from './pages/logged_model';
import { ExperimentTracesPage, TracePage } from './pages/traces';

export function App() {
  const auth = useAuth();
  let loc = useLocation();
  if (loc.path === '/' || loc.path === '') {
    // Rewritten during render, not in an effect: a child's effect would run before this
    // component listens for navigation.
    history.replaceState(null, '', '/experiments' + location.search);
    loc = { path: '/experiments', query: loc.query };
  }
  const p = loc.path;
  let page;
  let m: Record<string, string> | null;
  if (p === '/experiments') page = <ExperimentsPage loc={loc} />;
  else if ((m = match('/experiments/:id', p))) page = <RunsPage loc={loc} experimentId={m.id} />;
  else if ((m = match('/experiments/:id/models', p)))
    page = <ExperimentModelsPage loc={loc} experimentId={m.id} />;
  else if ((m = match('/experiments/:id/traces', p)))
    page = <ExperimentTracesPage loc={loc} experimentId={m.id} />;
  else if ((m = match('/runs/:id', p))) page = <RunPage loc={loc} runId={m.id} />;
  else if ((m = match('/traces/:id', p))) page = <TracePage loc={loc} traceId={m.id} />;
  else if ((m = match('/logged-models/:id', p))) page = <LoggedModelPage loc={loc} modelId={m.id} />;
  else if (p === '/charts') page = <ChartsPage loc={loc} />;
  else if (p === '/compare') page = <ComparePage loc={loc} />;
  else if (p === '/models') page = <ModelsPage loc={loc} />;
  else if ((m = match('/models/:name', p))) page = <ModelPage loc={loc} name={m.name} />;
  else page = <ErrorBox error={`No page at ${p}`} />;
  const section = p.startsWith('/models') ? 'models' : 'experiments';
  return (
    <>
      <header class="topbar">
        <Link href="/experiments" class="brand">
          mlhub
        </Link>
        <nav aria-label="Main">
          <Link href="/experiments" class={section === 'experiments' ? 'active' : ''}>
            Experiments
          </Link>
          <Link href="/models" class={section === 'models' ? 'active' : ''}>
            Models
          </Link>
        </nav>
        <UserMenu auth={auth} />
      </header>
      <main>
        {auth.needLogin ? (
          <LoginForm onSignedIn={auth.signedIn} />
        ) : (
          <Boundary key={`${p}#${auth.epoch}`}>{page}</Boundary>
        )}
      </main>
    </>
  );
}

/** A bug in a page shows as an error message instead of a blank screen; keyed by path, so
 * navigating elsewhere starts afresh. */
class Boundary extends Component<{ children: ComponentChildren }, { error?: Error }> {
  componentDidCatch(error: Error) {
    this.setState({ error });
  }
  render() {
    return this.state.error ? <ErrorBox error={this.state.error} /> : this.props.children;
  }
}
