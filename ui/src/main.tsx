// Entry point: mounts the app. Styles are plain CSS (no framework) to keep the bundle small.
import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { App } from './app';

render(<App />, document.getElementById('app')!);
