// A run's or a logged model's files: a lazily expanded tree (one listing call per opened folder) and a
// preview of the chosen file: text, JSON (pretty-printed), YAML (as text) or an image; every
// file has a download link through the artifact proxy.
import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import { ActionButton, ErrorBox, Loading, Show, fmtBytes, useAsync } from '../common';

const TEXT_EXT = /\.(txt|log|md|csv|tsv|py|sh|cfg|ini|toml|xml|html|yaml|yml|json|jsonl)$/i;
const IMAGE_EXT = /\.(png|jpe?g|gif|svg|webp|bmp)$/i;
// MLflow's model files have no extension but are YAML or text.
const TEXT_NAMES = /(^|\/)(MLmodel|requirements\.txt|conda\.yaml|python_env\.yaml|LICENSE)$/;
const PREVIEW_LIMIT = 512 * 1024;

export function kindOf(path: string): 'image' | 'json' | 'text' | 'other' {
  if (IMAGE_EXT.test(path)) return 'image';
  if (/\.json$/i.test(path)) return 'json';
  if (TEXT_EXT.test(path) || TEXT_NAMES.test(path)) return 'text';
  return 'other';
}

export function Artifacts(props: {
  source: api.ArtifactSource;
  path: string;
  onSelect: (path: string) => void;
}) {
  return (
    <div class="artifacts">
      <nav class="tree" aria-label="Artifacts">
        <Folder source={props.source} path="" selected={props.path} onSelect={props.onSelect} />
      </nav>
      <div class="preview">
        {props.path ? (
          <Preview source={props.source} path={props.path} />
        ) : (
          <p class="muted">Choose a file to preview it.</p>
        )}
      </div>
    </div>
  );
}

function Folder(props: {
  source: api.ArtifactSource;
  path: string;
  selected: string;
  onSelect: (p: string) => void;
}) {
  const list = useAsync(() => props.source.list(props.path), [props.source.key, props.path]);
  return (
    <Show a={list} what="artifacts">
      {(d) =>
        !d.files?.length ? (
          <p class="muted">{props.path ? 'Empty folder.' : 'No artifacts.'}</p>
        ) : (
          <ul>
            {d.files.map((f) => (
              <Entry
                key={f.path}
                source={props.source}
                file={f}
                selected={props.selected}
                onSelect={props.onSelect}
              />
            ))}
          </ul>
        )
      }
    </Show>
  );
}

function Entry(props: {
  source: api.ArtifactSource;
  file: api.FileInfo;
  selected: string;
  onSelect: (p: string) => void;
}) {
  const { file } = props;
  // A folder on the way to the selected file starts open, so deep links show their file.
  const [open, setOpen] = useState(props.selected.startsWith(file.path + '/'));
  const name = file.path.split('/').pop();
  if (file.is_dir)
    return (
      <li>
        <button
          type="button"
          class="tree-item"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
        >
          {open ? '▾' : '▸'} {name}/
        </button>
        {open && (
          <Folder
            source={props.source}
            path={file.path}
            selected={props.selected}
            onSelect={props.onSelect}
          />
        )}
      </li>
    );
  return (
    <li>
      <button
        type="button"
        class={`tree-item${props.selected === file.path ? ' selected' : ''}`}
        onClick={() => props.onSelect(file.path)}
      >
        {name} <span class="muted">{fmtBytes(file.file_size)}</span>
      </button>
    </li>
  );
}

function Preview({ source, path }: { source: api.ArtifactSource; path: string }) {
  const kind = kindOf(path);
  const url = source.url(path);
  const name = path.split('/').pop()!;
  // A link or an <img> cannot send the Authorization header: once signed in, the file is fetched
  // with it and handed to the browser as a Blob. Without sign-in a plain link streams the file.
  const signedIn = !!api.credentials();
  return (
    <div>
      <div class="preview-head">
        <strong class="mono">{path}</strong>{' '}
        {signedIn ? (
          <ActionButton class="button" onAction={() => download(source, path, name)}>
            Download
          </ActionButton>
        ) : (
          <a href={url} download={name} class="button">
            Download
          </a>
        )}
      </div>
      {kind === 'image' ? (
        signedIn ? (
          <BlobImage source={source} path={path} />
        ) : (
          <img src={url} alt={path} class="preview-img" />
        )
      ) : kind === 'other' ? (
        <p class="muted">No preview for this file type.</p>
      ) : (
        <TextPreview source={source} path={path} json={kind === 'json'} />
      )}
    </div>
  );
}

async function download(source: api.ArtifactSource, path: string, name: string) {
  const blob = await (await api.fetchArtifact(source, path)).blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

function BlobImage({ source, path }: { source: api.ArtifactSource; path: string }) {
  const src = useAsync(
    async () => URL.createObjectURL(await (await api.fetchArtifact(source, path)).blob()),
    [source.key, path],
  );
  useEffect(() => () => src.data && URL.revokeObjectURL(src.data), [src.data]);
  if (src.error) return <ErrorBox error={src.error} />;
  if (src.data === undefined) return <Loading what="image" />;
  return <img src={src.data} alt={path} class="preview-img" />;
}

export function TextPreview(props: { source: api.ArtifactSource; path: string; json?: boolean }) {
  const text = useAsync(
    () => api.fetchArtifactText(props.source, props.path, PREVIEW_LIMIT),
    [props.source.key, props.path],
  );
  if (text.error) return <ErrorBox error={text.error} />;
  if (text.data === undefined) return <Loading what="file" />;
  let body = text.data;
  if (props.json) {
    try {
      body = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // Not valid JSON (or cut at the preview limit): show it as it is.
    }
  }
  return (
    <pre class="file" data-path={props.path}>
      {body}
      {text.data.length >= PREVIEW_LIMIT && '\n… (preview cut; download for the whole file)'}
    </pre>
  );
}

/**
 * Where the run's logged models are: the artifact paths recorded in the mlflow.log-model.history
 * tag, else any top-level folder that holds an MLmodel file.
 */
export async function findModels(run: api.Run): Promise<string[]> {
  const hist = run.data.tags?.find((t) => t.key === 'mlflow.log-model.history')?.value;
  if (hist) {
    try {
      const paths = (JSON.parse(hist) as { artifact_path?: string }[])
        .map((m) => m.artifact_path)
        .filter((p): p is string => !!p);
      if (paths.length) return [...new Set(paths)];
    } catch {
      /* fall through to the scan */
    }
  }
  const root = await api.listArtifacts(run.info.run_id, '');
  const files = root.files ?? [];
  if (files.some((f) => f.path === 'MLmodel')) return [''];
  const dirs = files.filter((f) => f.is_dir).slice(0, 20);
  const found = await Promise.all(
    dirs.map(async (d) => {
      const l = await api.listArtifacts(run.info.run_id, d.path);
      return l.files?.some((f) => f.path === `${d.path}/MLmodel`) ? d.path : null;
    }),
  );
  return found.filter((p): p is string => p !== null);
}
