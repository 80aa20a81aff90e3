// Development only: serves a built UI (ui/dist) the way `mlhub server` does (files, else
// index.html for client-side routes) and proxies the API to a running mlhub server. Handy for
// checking a production build against a server binary that does not embed the UI.
//
//   node ui/scripts/serve.mjs [--dist ui/dist] [--port 5173] [--target http://127.0.0.1:5000]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};
const API_PREFIXES = ['/ajax-api/', '/api/', '/health', '/version'];

/** Starts the server; resolves to the http.Server once it listens (port 0 picks a free one). */
export function startDevServer({ dist, target, port = 0, host = '127.0.0.1' }) {
  const root = path.resolve(dist);
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    if (API_PREFIXES.some((p) => req.url.startsWith(p))) return proxy(req, res, upstream);
    const urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = path.join(root, urlPath);
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      file = path.join(root, 'index.html');
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

function proxy(req, res, upstream) {
  const out = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
    },
    (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    },
  );
  out.on('error', (e) => {
    res.writeHead(502, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error_code: 'BAD_GATEWAY', message: `mlhub server: ${e.message}` }));
  });
  req.pipe(out);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const s = await startDevServer({
    dist: arg('dist', path.join(here, '..', 'dist')),
    target: arg('target', 'http://127.0.0.1:5000'),
    port: Number(arg('port', 5173)),
  });
  console.log(`serving the UI on http://127.0.0.1:${s.address().port}/`);
}
