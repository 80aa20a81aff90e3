# SPDX-License-Identifier: Apache-2.0
"""runs/search: filter grammar (incl. the OR / parentheses extension), ordering, paging, view types."""
import pytest

from mlhub_testlib import API, Client, assert_error, unique

# name, start_time, status, user, metrics, params, tags
RUNS = [
    ("alpha", 1000, "FINISHED", "u1", {"a": 1, "m": 5}, {"p": "x", "model": "cnn"}, {"team": "red", "a b": "sp"}),
    ("beta", 2000, "RUNNING", "u2", {"a": 2}, {"p": "y", "my-key": "k1"}, {"team": "blue"}),
    ("gamma", 3000, "FAILED", "u1", {"a": 3, "m": "NaN"}, {"p": "x"}, {"team": "Red"}),
    ("delta", 3000, "RUNNING", "u2", {}, {"model": "CNN-big"}, {}),
    ("epsilon", 5000, "KILLED", "u3", {"a": -1, "m": 2}, {"p": "z"}, {"team": "green", "mlflow.note": "n"}),
]
END_TIMES = {"alpha": 1500, "gamma": 3500}


class World:
    def __init__(self, client):
        self.c = client
        self.exp = client.create_experiment(unique("search"))
        self.ids = {}
        for name, start, status, user, metrics, params, tags in RUNS:
            run = client.create_run(self.exp, run_name=name, start_time=start, user_id=user,
                                    tags=[{"key": k, "value": v} for k, v in tags.items()])
            rid = run["info"]["run_id"]
            self.ids[name] = rid
            client.ok_post("runs/log-batch", {
                "run_id": rid,
                "metrics": [{"key": k, "value": v, "timestamp": 10, "step": 0} for k, v in metrics.items()],
                "params": [{"key": k, "value": v} for k, v in params.items()]})
            if status != "RUNNING":
                client.ok_post("runs/update", {"run_id": rid, "status": status})
            if name in END_TIMES:
                client.ok_post("runs/update", {"run_id": rid, "end_time": END_TIMES[name]})
        client.ok_post("runs/log-inputs", {"run_id": self.ids["alpha"], "datasets": [{
            "tags": [{"key": "mlflow.data.context", "value": "train"}],
            "dataset": {"name": "trainset", "digest": "dg1", "source_type": "local", "source": "{}"}}]})
        dead = client.create_run(self.exp, run_name="zeta-deleted", start_time=6000)
        self.ids["zeta"] = dead["info"]["run_id"]
        client.log_metric(self.ids["zeta"], "a", 100, timestamp=10)
        client.ok_post("runs/delete", {"run_id": self.ids["zeta"]})
        self.name_of = {v: k for k, v in self.ids.items()}

    def search(self, **kw):
        return self.c.search_runs([self.exp], **kw)

    def names(self, **kw):
        return [self.name_of[r["info"]["run_id"]] for r in self.search(**kw).get("runs", [])]

    def name_set(self, flt, **kw):
        return set(self.names(filter=flt, **kw))

    def sorted_ids(self, *names):
        return sorted(self.ids[n] for n in names)


@pytest.fixture(scope="module")
def world(server):
    return World(Client(server.url, API))


@pytest.fixture
def w(world):
    return world


def test_search_smoke_both_prefixes(any_client, world):
    js = any_client.ok_post("runs/search", {"experiment_ids": [world.exp], "filter": "metrics.a > 1"})
    assert sorted(r["info"]["run_id"] for r in js["runs"]) == world.sorted_ids("beta", "gamma")


def test_returned_runs_are_complete(w):
    js = w.search(filter="attributes.run_name = 'alpha'")
    (run,) = js["runs"]
    assert run["info"]["run_id"] == w.ids["alpha"] and run["info"]["status"] == "FINISHED"
    assert {m["key"]: m["value"] for m in run["data"]["metrics"]} == {"a": 1, "m": 5}
    assert {p["key"]: p["value"] for p in run["data"]["params"]} == {"p": "x", "model": "cnn"}
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["team"] == "red" and tags["mlflow.runName"] == "alpha"
    assert run["inputs"]["dataset_inputs"][0]["dataset"]["name"] == "trainset"


@pytest.mark.parametrize("flt,expected", [
    ("metrics.a > 1", {"beta", "gamma"}),
    ("metrics.a >= 1", {"alpha", "beta", "gamma"}),
    ("metrics.a < 2", {"alpha", "epsilon"}),
    ("metrics.a <= 2", {"alpha", "beta", "epsilon"}),
    ("metrics.a = 3", {"gamma"}),
    ("metrics.a != 1", {"beta", "gamma", "epsilon"}),
    ("metrics.a > -1.5", {"alpha", "beta", "gamma", "epsilon"}),
    ("metric.a = 2.0", {"beta"}),
    ("metrics.nothere > 0", set()),
    ("params.p = 'x'", {"alpha", "gamma"}),
    ("params.p != 'x'", {"beta", "epsilon"}),
    ("param.p = \"y\"", {"beta"}),
    ("parameters.model LIKE 'cnn%'", {"alpha"}),
    ("params.model ILIKE 'cnn%'", {"alpha", "delta"}),
    ("params.model LIKE '%N-b_g'", {"delta"}),
    ("params.`my-key` = 'k1'", {"beta"}),
    ("params.\"my-key\" = 'k1'", {"beta"}),
    ("tags.team = 'red'", {"alpha"}),
    ("tags.team != 'red'", {"beta", "gamma", "epsilon"}),
    ("tags.team LIKE 'R%'", {"gamma"}),
    ("tags.team ILIKE 'red'", {"alpha", "gamma"}),
    ("tag.team ILIKE '%E%'", {"alpha", "beta", "gamma", "epsilon"}),
    ("tags.\"a b\" = 'sp'", {"alpha"}),
    ("tags.`a b` LIKE 's%'", {"alpha"}),
    ("tags.mlflow.note = 'n'", {"epsilon"}),
    ("tags.`mlflow.runName` = 'delta'", {"delta"}),
    ("attributes.run_name = 'alpha'", {"alpha"}),
    ("run_name LIKE '%eta'", {"beta"}),
    ("attribute.run_name ILIKE 'ALPHA'", {"alpha"}),
    ("attributes.status = 'FINISHED'", {"alpha"}),
    ("status != 'RUNNING'", {"alpha", "gamma", "epsilon"}),
    ("attr.status IN ('FAILED', 'KILLED')", {"gamma", "epsilon"}),
    ("attributes.user_id = 'u1'", {"alpha", "gamma"}),
    ("attributes.start_time >= 3000", {"gamma", "delta", "epsilon"}),
    ("run.start_time < 2000", {"alpha"}),
    ("attributes.start_time = 3000", {"gamma", "delta"}),
    ("attributes.start_time != 3000", {"alpha", "beta", "epsilon"}),
    ("attributes.created >= 3000", {"gamma", "delta", "epsilon"}),
    ("attributes.end_time > 0", {"alpha", "gamma"}),
    ("attributes.end_time <= 1500", {"alpha"}),
    ("attributes.`run name` = 'beta'", {"beta"}),
    ("metrics.`a` = 3", {"gamma"}),
    ("datasets.name = 'trainset'", {"alpha"}),
    ("dataset.digest IN ('dg1', 'other')", {"alpha"}),
    ("datasets.context = 'train'", {"alpha"}),
    ("metrics.a > 0 and params.p = 'x'", {"alpha", "gamma"}),
    ("metrics.a > 0 AND params.p = 'x' AND tags.team = 'Red'", {"gamma"}),
])
def test_filters(w, flt, expected):
    assert w.name_set(flt) == expected, flt


def test_run_id_in_and_not_in(w):
    a, b = w.ids["alpha"], w.ids["beta"]
    assert w.name_set(f"attributes.run_id IN ('{a}', '{b}')") == {"alpha", "beta"}
    assert w.name_set(f"attributes.run_id NOT IN ('{a}', '{b}')") == {"gamma", "delta", "epsilon"}
    assert w.name_set(f"run_id = '{a}'") == {"alpha"}
    assert w.name_set(f"attributes.artifact_uri LIKE '%{a}%'") == {"alpha"}


@pytest.mark.parametrize("flt,expected", [
    ("metrics.a > 2 OR params.p = 'y'", {"beta", "gamma"}),
    ("(metrics.a > 2 OR params.p = 'y') AND tags.team = 'blue'", {"beta"}),
    ("metrics.a < 0 OR (params.p = 'x' AND tags.team = 'red')", {"epsilon", "alpha"}),
    ("(params.p = 'y' OR params.p = 'z') AND (metrics.a < 0 OR metrics.a > 1)", {"beta", "epsilon"}),
    ("((metrics.a = 1))", {"alpha"}),
    # AND binds tighter than OR
    ("params.p = 'y' OR params.p = 'x' AND tags.team = 'Red'", {"beta", "gamma"}),
    ("params.model = 'CNN-big' OR status = 'KILLED' OR run_name = 'alpha'", {"delta", "epsilon", "alpha"}),
    ("metrics.a > 0 or params.model = 'CNN-big'", {"alpha", "beta", "gamma", "delta"}),
])
def test_or_and_parentheses(w, flt, expected):
    assert w.name_set(flt) == expected, flt


@pytest.mark.parametrize("flt", [
    "metrics.a >",
    "metrics.a > 1 AND",
    "AND metrics.a > 1",
    "params.p = x",
    "bogus.key = 'x'",
    "no_such_attribute = 'x'",
    "params.p > 'a'",
    "metrics.a = 'x'",
    "metrics.a LIKE '1%'",
    "(metrics.a > 1",
    "metrics.a > 1)",
    "metrics.a > 1 OR",
    "()",
    "params.p = 'unterminated",
    "attributes.start_time = 'yesterday'",
    "params.p IN ('x')",
    "attributes.run_id IN ()",
    "metrics.a > 1 params.p = 'x'",
])
def test_malformed_filters(w, flt):
    assert_error(w.c.post("runs/search", {"experiment_ids": [w.exp], "filter": flt}), "INVALID_PARAMETER_VALUE")


def test_malformed_filter_message_says_where(w):
    flt = "metrics.a > 1 AND params.p @@ 'x'"
    pos = flt.index("@@")
    body = assert_error(w.c.post("runs/search", {"experiment_ids": [w.exp], "filter": flt}), "INVALID_PARAMETER_VALUE")
    msg = body["message"]
    assert "@@" in msg or str(pos) in msg or str(pos + 1) in msg, msg


def test_default_order_start_time_desc_then_run_id(w):
    tie = sorted(["gamma", "delta"], key=lambda n: w.ids[n])
    assert w.names() == ["epsilon"] + tie + ["beta", "alpha"]


def test_order_by_attributes(w):
    tie = sorted(["gamma", "delta"], key=lambda n: w.ids[n])
    assert w.names(order_by=["attributes.start_time ASC"]) == ["alpha", "beta"] + tie + ["epsilon"]
    assert w.names(order_by=["start_time"]) == ["alpha", "beta"] + tie + ["epsilon"]
    assert w.names(order_by=["run_name DESC"]) == ["gamma", "epsilon", "delta", "beta", "alpha"]
    assert w.names(order_by=["attributes.run_name ASC"]) == ["alpha", "beta", "delta", "epsilon", "gamma"]
    ids_asc = sorted(w.ids[n] for n in ("alpha", "beta", "gamma", "delta", "epsilon"))
    assert [w.ids[n] for n in w.names(order_by=["run_id ASC"])] == ids_asc


def test_order_by_attribute_missing_last(w):
    # end_time: alpha 1500, gamma 3500, the others have none (then start_time DESC)
    assert w.names(order_by=["attributes.end_time ASC"]) == ["alpha", "gamma", "epsilon", "delta", "beta"]
    assert w.names(order_by=["end_time DESC"]) == ["gamma", "alpha", "epsilon", "delta", "beta"]
    tie = sorted(["gamma", "delta"], key=lambda n: w.ids[n])
    assert w.names(order_by=["attributes.created ASC"]) == ["alpha", "beta"] + tie + ["epsilon"]


def test_order_by_metric_missing_and_nan_last(w):
    # m: alpha 5, epsilon 2, gamma NaN, beta/delta missing (then start_time DESC: delta before beta)
    assert w.names(order_by=["metrics.m ASC"]) == ["epsilon", "alpha", "gamma", "delta", "beta"]
    assert w.names(order_by=["metrics.m DESC"]) == ["alpha", "epsilon", "gamma", "delta", "beta"]


def test_order_by_multi_key(w):
    assert w.names(order_by=["params.p ASC", "metrics.a DESC"]) == ["gamma", "alpha", "beta", "epsilon", "delta"]
    assert w.names(order_by=["params.p DESC", "metrics.a ASC"]) == ["epsilon", "beta", "alpha", "gamma", "delta"]
    assert w.names(order_by=["params.p", "start_time DESC"]) == ["gamma", "alpha", "beta", "epsilon", "delta"]
    # the missing key sorts last whatever the direction
    desc = w.names(order_by=["params.model DESC"])
    asc = w.names(order_by=["params.model ASC"])
    assert set(desc[:2]) == {"delta", "alpha"} and asc[:2] == desc[:2][::-1]
    assert desc[2:] == asc[2:] == ["epsilon", "gamma", "beta"]


def test_order_by_tag_with_filter(w):
    got = w.names(filter="tags.team != 'Red'", order_by=["tags.team ASC"])
    assert got == ["beta", "epsilon", "alpha"]
    got = w.names(filter="tags.team != 'Red'", order_by=["tags.team DESC"])
    assert got == ["alpha", "epsilon", "beta"]


@pytest.mark.parametrize("order_by", [
    ["metrics.a", "metrics.a DESC"],
    ["bogus.x"],
    ["metrics.a SIDEWAYS"],
    ["no_such_attribute"],
    ["metrics.a ASC DESC"],
])
def test_bad_order_by(w, order_by):
    assert_error(w.c.post("runs/search", {"experiment_ids": [w.exp], "order_by": order_by}), "INVALID_PARAMETER_VALUE")


def test_view_types(w):
    active = {"alpha", "beta", "gamma", "delta", "epsilon"}
    assert set(w.names(run_view_type="ACTIVE_ONLY")) == active
    assert w.names(run_view_type="DELETED_ONLY") == ["zeta"]
    assert set(w.names(run_view_type="ALL")) == active | {"zeta"}
    assert w.names(run_view_type="ALL", filter="metrics.a >= 100") == ["zeta"]
    assert w.names(run_view_type="ALL")[0] == "zeta"  # start_time 6000 is the newest


def test_paging_small_world(w):
    full = w.names()
    for size in (1, 2, 3):
        paged = [w.name_of[r["info"]["run_id"]] for r in w.c.search_all_runs([w.exp], size)]
        assert paged == full, size
    paged = [w.name_of[r["info"]["run_id"]] for r in
             w.c.search_all_runs([w.exp], 2, order_by=["metrics.m DESC"], filter="metrics.a > -5")]
    assert paged == ["alpha", "epsilon", "gamma", "beta"]


def test_invalid_page_token(w):
    for tok in ("bogus", "%%%", "eyJub3QiOiAidGhpcyJ9"):  # the last is base64 of {"not": "this"}
        assert_error(w.c.post("runs/search", {"experiment_ids": [w.exp], "page_token": tok}), "INVALID_PARAMETER_VALUE")


def test_paging_every_run_exactly_once(client):
    exp = client.create_experiment(unique("paging"))
    ids = set()
    for i in range(23):
        # many start_time ties so that the run_id tie-break matters
        run = client.create_run(exp, start_time=1000 + (i % 4))
        ids.add(run["info"]["run_id"])
        client.log_metric(run["info"]["run_id"], "v", i % 5, timestamp=1)
    full = [r["info"]["run_id"] for r in client.search_runs([exp])["runs"]]
    assert sorted(full) == sorted(ids)
    for size in (1, 4, 7, 23, 50):
        paged = [r["info"]["run_id"] for r in client.search_all_runs([exp], size)]
        assert paged == full, size
        by_metric = [r["info"]["run_id"] for r in client.search_all_runs([exp], size, order_by=["metrics.v DESC"])]
        assert len(by_metric) == 23 and set(by_metric) == ids, size
    js = client.search_runs([exp], max_results=23)
    assert len(js["runs"]) == 23


def test_multiple_experiments(client, w):
    other = client.create_experiment(unique("other"))
    rid = client.create_run(other, start_time=9999)["info"]["run_id"]
    js = client.search_runs([w.exp, other])
    got = [r["info"]["run_id"] for r in js["runs"]]
    assert len(got) == 6 and got[0] == rid


LARGE_FILTERS = {
    "100-distinct-metrics": (" AND ".join(f"metrics.m{i} > 1" for i in range(100)), set()),
    "100-distinct-params": (" AND ".join(f"params.p{i} = 'x'" for i in range(100)), set()),
    "70-distinct-tags": (" AND ".join(f"tags.t{i} LIKE '%'" for i in range(70)), set()),
    "1500-ors": (" OR ".join(["metrics.a > 1"] * 1500), {"beta", "gamma"}),
    "1500-attribute-ands": (" AND ".join(["attributes.start_time > 1"] * 1500),
                            {"alpha", "beta", "gamma", "delta", "epsilon"}),
}


@pytest.mark.parametrize("name", sorted(LARGE_FILTERS))
def test_large_filters_are_answered_or_refused_never_5xx(w, name):
    """Filters are user input: a big one is either evaluated or refused with a 400, never a 500
    (the client retries 500s for about a minute)."""
    flt, expected = LARGE_FILTERS[name]
    st, js = w.c.post("runs/search", {"experiment_ids": [w.exp], "filter": flt})
    if st == 200:
        assert {w.name_of[r["info"]["run_id"]] for r in js.get("runs", [])} == expected
    else:
        assert_error((st, js), "INVALID_PARAMETER_VALUE")


def test_many_order_by_keys_never_5xx(w):
    order_by = [f"metrics.m{i}" for i in range(100)]
    st, js = w.c.post("runs/search", {"experiment_ids": [w.exp], "order_by": order_by})
    if st == 200:
        assert len(js["runs"]) == 5
    else:
        assert_error((st, js), "INVALID_PARAMETER_VALUE")


def test_large_experiment_filter_never_5xx(client):
    flt = " AND ".join(f"tags.t{i} = 'x'" for i in range(100))
    st, js = client.post("experiments/search", {"filter": flt})
    if st == 200:
        assert js.get("experiments", []) == []
    else:
        assert_error((st, js), "INVALID_PARAMETER_VALUE")
