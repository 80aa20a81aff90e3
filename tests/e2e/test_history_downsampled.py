# SPDX-License-Identifier: Apache-2.0
"""metrics/get-history-downsampled, the web UI's route of our own (under /ajax-api/2.0/mlhub/ and
/api/2.0/mlhub/): at most max_points buckets of a long history, each with its last point and the
bucket's min and max, so spikes survive; short histories whole; bad parameters are MLflow-style
400s, an unknown run a 404."""
import pytest

from mlhub_testlib import Client, assert_error

N = 5000


@pytest.fixture
def history(client, run):
    rid = run["info"]["run_id"]
    for base in range(0, N, 1000):
        metrics = [{"key": "loss", "value": 1.0 / (i + 1), "timestamp": 10_000 + i, "step": i}
                   for i in range(base, base + 1000)]
        if base == 3000:
            metrics[234]["value"] = 1e6  # one spike, step 3234
        client.ok_post("runs/log-batch", {"run_id": rid, "metrics": metrics})
    return rid


@pytest.mark.parametrize("prefix", ["/ajax-api/2.0/mlhub", "/api/2.0/mlhub"])
def test_long_history_is_downsampled_keeping_spikes(server, history, prefix):
    mlhub = Client(server.url, prefix)
    js = mlhub.ok_get("metrics/get-history-downsampled",
                      {"run_id": history, "metric_key": "loss", "max_points": 100})
    assert js["metric_key"] == "loss" and js["total_points"] == N and js["downsampled"] is True
    points = js["points"]
    assert len(points) == 100
    assert [p["step"] for p in points] == [50 * (i + 1) - 1 for i in range(100)]  # bucket ends
    assert max(p["max"] for p in points) == 1e6
    spike = points[3234 // 50]
    assert spike["max"] == 1e6 and spike["value"] < 1 and spike["min"] <= spike["value"]
    assert all(p["min"] <= p["value"] <= p["max"] for p in points)


def test_short_history_comes_back_whole(server, client, run):
    rid = run["info"]["run_id"]
    for step, value in enumerate((0.5, 0.25, 0.125)):
        client.log_metric(rid, "acc", value, step=step, timestamp=100 + step)
    mlhub = Client(server.url, "/ajax-api/2.0/mlhub")
    js = mlhub.ok_get("metrics/get-history-downsampled", {"run_id": rid, "metric_key": "acc"})
    assert js["downsampled"] is False and js["total_points"] == 3
    assert [(p["step"], p["value"], p["min"], p["max"]) for p in js["points"]] == [
        (0, 0.5, 0.5, 0.5), (1, 0.25, 0.25, 0.25), (2, 0.125, 0.125, 0.125)]
    by_time = mlhub.ok_get("metrics/get-history-downsampled",
                           {"run_id": rid, "metric_key": "acc", "x_axis": "time", "max_points": 1})
    assert by_time["points"] == [{"step": 2, "timestamp": 102, "value": 0.125, "min": 0.125,
                                  "max": 0.5}]
    empty = mlhub.ok_get("metrics/get-history-downsampled", {"run_id": rid, "metric_key": "none"})
    assert empty["total_points"] == 0 and empty["points"] == []


def test_bad_parameters_are_400s_and_unknown_runs_404(server, run):
    rid = run["info"]["run_id"]
    mlhub = Client(server.url, "/ajax-api/2.0/mlhub")
    route = "metrics/get-history-downsampled"
    for params in ({"run_id": rid, "metric_key": "m", "max_points": 0},
                   {"run_id": rid, "metric_key": "m", "max_points": 100001},
                   {"run_id": rid, "metric_key": "m", "max_points": "many"},
                   {"run_id": rid, "metric_key": "m", "x_axis": "epoch"},
                   {"run_id": rid}):
        assert_error(mlhub.get(route, params), "INVALID_PARAMETER_VALUE")
    assert_error(mlhub.get(route, {"run_id": "0" * 32, "metric_key": "m"}),
                 "RESOURCE_DOES_NOT_EXIST")
