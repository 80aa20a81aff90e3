# SPDX-License-Identifier: Apache-2.0
"""A small KServe V2 gRPC client for the `mlhub serve` suites, built the way a client without
generated stubs would: message classes from our own .proto (compiled at test time with
/usr/bin/protoc --python_out; python3-grpc-tools is not packaged), and plain
`channel.unary_unary('/inference.GRPCInferenceService/<Rpc>')` calls.

Also a message pair for the standard health service (grpc.health.v1.Health/Check, what
Kubernetes gRPC probes call): grpcio's health package is not installed, so its two messages are
declared here from the public protocol (field 1 each; status SERVING=1, NOT_SERVING=2).
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys

import grpc
import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROTO_DIR = os.path.join(REPO, "src", "serving", "protocol", "grpc")
PROTO = "grpc_predict_v2.proto"
SERVICE = "inference.GRPCInferenceService"
MIB = 1 << 20

_HEALTH_PROTO = """syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
"""

# V2 datatype -> (numpy dtype, InferTensorContents field) for the typed form.
DTYPES = {
    "BOOL": (np.bool_, "bool_contents"),
    "INT8": (np.int8, "int_contents"),
    "INT16": (np.int16, "int_contents"),
    "INT32": (np.int32, "int_contents"),
    "INT64": (np.int64, "int64_contents"),
    "UINT8": (np.uint8, "uint_contents"),
    "UINT16": (np.uint16, "uint_contents"),
    "UINT32": (np.uint32, "uint_contents"),
    "UINT64": (np.uint64, "uint64_contents"),
    "FP16": (np.float16, None),
    "FP32": (np.float32, "fp32_contents"),
    "FP64": (np.float64, "fp64_contents"),
}


def compile_protos(out_dir):
    """Generates the Python message modules into `out_dir` and imports them: (pb, health_pb)."""
    out_dir = str(out_dir)
    with open(os.path.join(out_dir, "health_check.proto"), "w") as f:
        f.write(_HEALTH_PROTO)
    for include, proto in ((PROTO_DIR, PROTO), (out_dir, "health_check.proto")):
        subprocess.run(["/usr/bin/protoc", f"-I{include}", f"--python_out={out_dir}", proto],
                       check=True, capture_output=True)
    if out_dir not in sys.path:
        sys.path.insert(0, out_dir)
    return (importlib.import_module("grpc_predict_v2_pb2"),
            importlib.import_module("health_check_pb2"))


# RPC name -> (request message, response message).
RPCS = {
    "ServerLive": ("ServerLiveRequest", "ServerLiveResponse"),
    "ServerReady": ("ServerReadyRequest", "ServerReadyResponse"),
    "ModelReady": ("ModelReadyRequest", "ModelReadyResponse"),
    "ServerMetadata": ("ServerMetadataRequest", "ServerMetadataResponse"),
    "ModelMetadata": ("ModelMetadataRequest", "ModelMetadataResponse"),
    "ModelInfer": ("ModelInferRequest", "ModelInferResponse"),
    "ModelStatistics": ("ModelStatisticsRequest", "ModelStatisticsResponse"),
    "RepositoryIndex": ("RepositoryIndexRequest", "RepositoryIndexResponse"),
    "RepositoryModelLoad": ("RepositoryModelLoadRequest", "RepositoryModelLoadResponse"),
    "RepositoryModelUnload": ("RepositoryModelUnloadRequest", "RepositoryModelUnloadResponse"),
}


class InferenceClient:
    """One channel to a server; `client.ModelInfer(request)` etc. call the RPC of that name."""

    def __init__(self, target, pb, health_pb, max_message=64 * MIB):
        self.pb = pb
        self.health_pb = health_pb
        self.channel = grpc.insecure_channel(target, options=[
            ("grpc.max_send_message_length", max_message),
            ("grpc.max_receive_message_length", max_message),
        ])
        self._calls = {}
        for rpc, (request, response) in RPCS.items():
            self._calls[rpc] = self.channel.unary_unary(
                f"/{SERVICE}/{rpc}",
                request_serializer=getattr(pb, request).SerializeToString,
                response_deserializer=getattr(pb, response).FromString)
        self._health = self.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb.HealthCheckResponse.FromString)

    def __getattr__(self, rpc):
        calls = self.__dict__.get("_calls", {})
        if rpc not in calls:
            raise AttributeError(rpc)
        return lambda request=None, timeout=30, **fields: calls[rpc](
            request if request is not None else getattr(self.pb, RPCS[rpc][0])(**fields),
            timeout=timeout)

    def future(self, rpc, request, timeout=60):
        return self._calls[rpc].future(request, timeout=timeout)

    def health(self, service="", timeout=10):
        return self._health(self.health_pb.HealthCheckRequest(service=service), timeout=timeout)

    def raw_call(self, method, payload: bytes, timeout=10):
        """Sends `payload` as the serialized request of `method` (a full path), unchecked."""
        call = self.channel.unary_unary(method, request_serializer=lambda b: b,
                                        response_deserializer=lambda b: b)
        return call(payload, timeout=timeout)

    def close(self):
        self.channel.close()


def add_input(pb, request, name, array, datatype, raw=True):
    """Appends `array` as an input of `request`, raw (a blob in raw_input_contents) or typed."""
    dtype, field = DTYPES[datatype]
    array = np.ascontiguousarray(np.asarray(array, dtype=dtype))
    tensor = request.inputs.add(name=name, datatype=datatype, shape=list(array.shape))
    if raw:
        request.raw_input_contents.append(array.astype(np.dtype(dtype).newbyteorder("<")).tobytes())
    else:
        getattr(tensor.contents, field).extend(array.reshape(-1).tolist())
    return tensor


def infer_request(pb, model, array, datatype="FP32", raw=True, name="input-0", version="",
                  request_id="", outputs=()):
    request = pb.ModelInferRequest(model_name=model, model_version=version, id=request_id)
    add_input(pb, request, name, array, datatype, raw)
    for output in outputs:
        request.outputs.add(name=output)
    return request


def decode_outputs(response):
    """{name: ndarray} from a ModelInferResponse, reading raw or typed contents."""
    result = {}
    raw = list(response.raw_output_contents)
    for i, output in enumerate(response.outputs):
        shape = tuple(output.shape)
        if output.datatype == "BYTES":
            values = _split_bytes(raw[i]) if raw else list(output.contents.bytes_contents)
            result[output.name] = np.array(values, dtype=object).reshape(shape)
            continue
        dtype, field = DTYPES[output.datatype]
        if raw:
            array = np.frombuffer(raw[i], dtype=np.dtype(dtype).newbyteorder("<"))
        else:
            array = np.array(getattr(output.contents, field), dtype=dtype)
        result[output.name] = array.reshape(shape)
    return result


def _split_bytes(blob):
    values, pos = [], 0
    while pos < len(blob):
        length = int.from_bytes(blob[pos:pos + 4], "little")
        values.append(blob[pos + 4:pos + 4 + length])
        pos += 4 + length
    return values
