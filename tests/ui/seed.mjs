// The data the browser tests look for, created through the REST API as a user's script would:
// an experiment of four runs (params, tags, notes, an `acc` metric and a 3,000-step `loss` with a
// spike), artifacts (text, JSON, an image, a logged model's MLmodel), an MLflow 3 logged model of
// run-1 (its own files, params and a metric on a dataset), an MLflow 3 trace of three spans, a
// second experiment with enough runs to page, and a registered model with two versions.
export const RUNS = [
  { name: 'run-0', model: 'xgb', lr: '0.1', acc: 0.85, team: 'red' },
  { name: 'run-1', model: 'rf', lr: '0.2', acc: 0.93, team: 'blue' },
  { name: 'run-2', model: 'lr', lr: '0.3', acc: 0.7, team: 'red' },
  { name: 'run-3', model: 'xgb', lr: '0.4', acc: 0.95, team: 'blue' },
];
export const LOSS_STEPS = 3000;
export const SPIKE_STEP = 1500;
export const PAGING_RUNS = 55;
export const MODEL = 'iris-classifier';
export const LOGGED_MODEL = 'mlflow3-model';
export const TRACE_ID = 'tr-0123456789abcdef0123456789abcdef';
export const ODD_TRACE_ID = 'tr-fedcba9876543210fedcba9876543210';
// An 8x8 red PNG.
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGO4oKCAFTEMLQkAvk5EAfjoixEAAAAASUVORK5CYII=',
  'base64',
);
export const MLMODEL = [
  'artifact_path: model',
  'flavors:',
  '  python_function:',
  '    loader_module: mlflow.sklearn',
  '    python_version: 3.11.4',
  '  sklearn:',
  '    sklearn_version: 1.3.0',
  'run_id: RUN_ID',
  '',
].join('\n');

export async function seed(api) {
  const now = Date.now() - 3600_000;
  const { experiment_id: expId } = await api.post('/experiments/create', { name: 'iris-demo' });
  await api.post('/experiments/create', { name: 'other-experiment' });
  const runIds = {};
  for (const [i, r] of RUNS.entries()) {
    const { run } = await api.post('/runs/create', {
      experiment_id: expId,
      run_name: r.name,
      start_time: now + i * 1000,
      tags: [{ key: 'team', value: r.team }],
    });
    const id = run.info.run_id;
    runIds[r.name] = id;
    await api.post('/runs/log-batch', {
      run_id: id,
      params: [
        { key: 'model', value: r.model },
        { key: 'lr', value: r.lr },
      ],
      metrics: [{ key: 'acc', value: r.acc, timestamp: now, step: 0 }],
      tags: [{ key: 'mlflow.note.content', value: `Note of ${r.name}: baseline sweep.` }],
    });
    const loss = [];
    for (let s = 0; s < LOSS_STEPS; s++) {
      const v = 1 / (1 + s / 100) + i * 0.05 + (s === SPIKE_STEP ? 5 : 0);
      loss.push({ key: 'loss', value: v, timestamp: now + s * 100, step: s });
    }
    for (let k = 0; k < loss.length; k += 1000) {
      await api.post('/runs/log-batch', { run_id: id, metrics: loss.slice(k, k + 1000) });
    }
    await api.post('/runs/update', { run_id: id, status: 'FINISHED', end_time: now + 60_000 });
  }

  const r0 = runIds['run-0'];
  await api.putArtifact(expId, r0, 'notes.txt', 'plain text artifact\nsecond line\n');
  await api.putArtifact(expId, r0, 'config/params.json', '{"depth":6,"features":["a","b"]}');
  await api.putArtifact(expId, r0, 'plots/red.png', PNG);
  await api.putArtifact(expId, r0, 'model/MLmodel', MLMODEL.replace('RUN_ID', r0));
  await api.putArtifact(expId, r0, 'model/conda.yaml', 'name: env\ndependencies:\n  - python=3.11\n');

  // What an MLflow 3 client's log_model does: create the model, upload its files under the
  // model's own location, finalize it and name it as an output of the run.
  const r1 = runIds['run-1'];
  const { model } = await api.post('/logged-models', {
    experiment_id: expId,
    name: LOGGED_MODEL,
    source_run_id: r1,
    model_type: 'classifier',
    params: [{ key: 'max_depth', value: '6' }],
  });
  const modelId = model.info.model_id;
  const modelRoot = model.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
  await api.putProxied(`${modelRoot}/MLmodel`, MLMODEL.replace('RUN_ID', r1).replace('sklearn_version: 1.3.0', 'sklearn_version: 1.5.2'));
  await api.putProxied(`${modelRoot}/model.pkl`, 'pickled bytes');
  await api.patch(`/logged-models/${modelId}`, { status: 'LOGGED_MODEL_READY' });
  await api.post('/runs/outputs', { run_id: r1, models: [{ model_id: modelId, step: 0 }] });
  await api.post('/runs/log-metric', {
    run_id: r1, key: 'f1', value: 0.91, timestamp: now, step: 0,
    model_id: modelId, dataset_name: 'holdout', dataset_digest: 'd1',
  });

  // What an MLflow 3 client's exporter does when a trace ends: its info, then its spans as
  // traces.json where the answer's mlflow.artifactLocation says.
  const start = Date.now() - 60_000;
  const { trace } = await api.postV3('/traces', {
    trace: {
      trace_info: {
        trace_id: TRACE_ID,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: expId } },
        request_preview: '{"question": "What is mlhub?"}',
        response_preview: '"A fast MLOps server"',
        request_time: new Date(start).toISOString(),
        execution_duration: '1.500s',
        state: 'OK',
        trace_metadata: { 'mlflow.sourceRun': runIds['run-2'] },
        tags: { 'mlflow.traceName': 'answer-question' },
      },
    },
  });
  const ns = (offsetMs) => (start + offsetMs) * 1e6;
  const span = (span_id, parent_span_id, name, from, to, attributes) => ({
    trace_id: 'ASNFZ4mrze8BI0VniavN7w==', span_id, parent_span_id, name,
    start_time_unix_nano: ns(from), end_time_unix_nano: ns(to),
    status: { code: 'STATUS_CODE_OK' }, attributes,
  });
  const spans = [
    span('root', '', 'answer-question', 0, 1500, { 'mlflow.spanType': '"CHAIN"' }),
    span('s1', 'root', 'retrieve', 10, 400, { 'mlflow.spanOutputs': '["doc-1", "doc-2"]' }),
    span('s2', 'root', 'llm', 420, 1490, {
      'mlflow.spanInputs': '{"prompt": "Answer from doc-1, doc-2"}',
      'mlflow.spanOutputs': '"A fast MLOps server"',
    }),
  ];
  const traceRoot = trace.trace_info.tags['mlflow.artifactLocation'].replace(/^mlflow-artifacts:\//, '');
  await api.putProxied(`${traceRoot}/traces.json`, JSON.stringify({ spans }));
  // A trace whose spans do not form a tree (a parent cycle, a span without an id): the page
  // still lists every span.
  await api.postV3('/traces', {
    trace: {
      trace_info: {
        trace_id: ODD_TRACE_ID,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: expId } },
        request_time: new Date(start).toISOString(),
        state: 'ERROR',
        tags: { 'mlflow.traceName': 'odd-spans' },
      },
    },
  });
  const oddRoot = traceRoot.replace(TRACE_ID, ODD_TRACE_ID);
  await api.putProxied(`${oddRoot}/traces.json`, JSON.stringify({ spans: [
    span('x', 'y', 'cycle-x', 0, 10, {}),
    span('y', 'x', 'cycle-y', 5, 10, {}),
    { name: 'no-id', attributes: {} },
    null,
  ] }));
  // mlflow.log_feedback from an LLM judge
  await api.postV3(`/traces/${TRACE_ID}/assessments`, {
    assessment: {
      assessment_name: 'relevance',
      source: { source_type: 'LLM_JUDGE', source_id: 'judge-model' },
      feedback: { value: 0.9 },
      rationale: 'on topic',
    },
  });

  // A logged model whose latest metric is NaN (sent as the string "NaN", as MLflow sends it).
  const { experiment_id: nanExpId } = await api.post('/experiments/create', { name: 'nan-models' });
  const { run: nanRun } = await api.post('/runs/create', { experiment_id: nanExpId });
  const { model: nanModel } = await api.post('/logged-models', {
    experiment_id: nanExpId,
    name: 'nan-model',
    source_run_id: nanRun.info.run_id,
  });
  await api.post('/runs/log-metric', {
    run_id: nanRun.info.run_id, key: 'loss', value: 'NaN', timestamp: now, step: 0,
    model_id: nanModel.info.model_id,
  });

  const { experiment_id: pagingId } = await api.post('/experiments/create', { name: 'paging' });
  for (let i = 0; i < PAGING_RUNS; i++) {
    await api.post('/runs/create', { experiment_id: pagingId, run_name: `p-${i}`, start_time: now + i });
  }

  await api.post('/registered-models/create', {
    name: MODEL,
    tags: [{ key: 'owner', value: 'ml-team' }],
  });
  for (const name of ['run-0', 'run-1']) {
    await api.post('/model-versions/create', {
      name: MODEL,
      source: `runs:/${runIds[name]}/model`,
      run_id: runIds[name],
    });
  }
  return { expId, pagingId, nanExpId, runIds, modelId };
}
