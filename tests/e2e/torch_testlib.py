# SPDX-License-Identifier: Apache-2.0
"""TorchScript models made at test time with Debian's python3-torch and written in MLflow's
pytorch-flavor layout (what `mlflow.pytorch.log_model(torch.jit.script(m))` writes: the
TorchScript archive at data/model.pth, the pickle module's name beside it, the MLmodel file).

  mlp    13 -> 64 -> 1 (Linear, ReLU, Linear), float32, the seeds' 13 features
  pair   forward(a, b) -> (a + b, a * b) on int64 tensors: two inputs, two outputs
"""
from __future__ import annotations

import json
import os

import numpy as np
import torch

from serving_testlib import mlmodel_tail

FEATURES = 13
COLUMNS = [f"f{i}" for i in range(FEATURES)]


def tensor_spec(dtype, shape, name=None):
    spec = {"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": shape}}
    if name:
        spec["name"] = name
    return spec


MLP_TENSOR_SIGNATURE = {
    "inputs": [tensor_spec("float32", [-1, FEATURES])],
    "outputs": [tensor_spec("float32", [-1, 1])],
}
MLP_COLUMN_SIGNATURE = {
    "inputs": [{"type": "double", "name": c, "required": True} for c in COLUMNS],
    "outputs": [tensor_spec("float32", [-1, 1])],
}
PAIR_SIGNATURE = {
    "inputs": [tensor_spec("int64", [-1, 3], "left"), tensor_spec("int64", [-1, 3], "right")],
    "outputs": [tensor_spec("int64", [-1, 3], "sum"), tensor_spec("int64", [-1, 3], "product")],
}


class Pair(torch.nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor):
        return a + b, a * b


def mlp(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(FEATURES, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 1))
    return model.eval()


def _mlmodel_yaml(signature):
    lines = [
        "artifact_path: model",
        "flavors:",
        "  python_function:",
        "    data: data",
        "    env:",
        "      conda: conda.yaml",
        "      virtualenv: python_env.yaml",
        "    loader_module: mlflow.pytorch",
        "    pickle_module_name: mlflow.pytorch.pickle_module",
        "    python_version: 3.11.2",
        "  pytorch:",
        "    code: null",
        "    model_data: data",
        f"    pytorch_version: {torch.__version__}",
    ]
    dumped = {key: json.dumps(value) for key, value in signature.items()} if signature else None
    return "\n".join(lines + mlmodel_tail("7a6b5c4d3e2f10019283746556473829", dumped)) + "\n"


def write_mlflow_pytorch(directory, module, signature=None, script=True):
    """Writes `module` (scripted with torch.jit.script unless script=False, which pickles the
    nn.Module as torch.save does for eager models) as an MLflow pytorch model; returns the folder."""
    data = os.path.join(directory, "data")
    os.makedirs(data, exist_ok=True)
    path = os.path.join(data, "model.pth")
    if script:
        torch.jit.script(module).save(path)
    else:
        torch.save(module, path)
    with open(os.path.join(data, "pickle_module_info.txt"), "w") as f:
        f.write("mlflow.pytorch.pickle_module")
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write(_mlmodel_yaml(signature))
    return directory


def forward(module, *arrays):
    """Python torch's answer (the oracle), as numpy arrays."""
    with torch.no_grad():
        result = module(*[torch.from_numpy(np.ascontiguousarray(a)) for a in arrays])
    if isinstance(result, tuple):
        return [r.numpy() for r in result]
    return result.numpy()
