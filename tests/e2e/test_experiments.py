# SPDX-License-Identifier: Apache-2.0
"""Experiments: create / get / get-by-name / search / update / delete / restore / tags."""
import urllib.parse

import pytest

from mlhub_testlib import assert_error, now_ms, tags_dict, unique


def _search_all(client, page_size, via_get=False, **kw):
    """Iterates experiments/search pages until the token runs out; returns all experiments."""
    out, token = [], None
    for _ in range(500):
        body = dict(kw, max_results=page_size)
        if token:
            body["page_token"] = token
        js = client.ok_get("experiments/search", body) if via_get else client.ok_post("experiments/search", body)
        page = js.get("experiments", [])
        assert len(page) <= page_size
        out.extend(page)
        token = js.get("next_page_token")
        if not token:
            return out
    pytest.fail("experiments/search paging does not terminate")


# --- smoke over both prefixes -------------------------------------------------------------------


def test_experiment_smoke_both_prefixes(any_client):
    name = unique("smoke")
    exp_id = any_client.create_experiment(name)
    assert exp_id.isdigit() and exp_id != "0"
    exp = any_client.ok_get("experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["name"] == name and exp["experiment_id"] == exp_id
    by_name = any_client.ok_get("experiments/get-by-name", {"experiment_name": name})["experiment"]
    assert by_name["experiment_id"] == exp_id
    js = any_client.ok_post("experiments/search", {"filter": f"name = '{name}'"})
    assert [e["experiment_id"] for e in js["experiments"]] == [exp_id]
    assert_error(any_client.get("experiments/get-by-name", {"experiment_name": unique("nope")}),
                 "RESOURCE_DOES_NOT_EXIST")


# --- create / get ---------------------------------------------------------------------------------


def test_default_experiment(client):
    exp = client.ok_get("experiments/get", {"experiment_id": "0"})["experiment"]
    assert exp["experiment_id"] == "0"
    assert exp["name"] == "Default"
    assert exp["artifact_location"] == "mlflow-artifacts:/0"
    assert exp["lifecycle_stage"] == "active"
    by_name = client.ok_get("experiments/get-by-name", {"experiment_name": "Default"})["experiment"]
    assert by_name["experiment_id"] == "0"


def test_create_and_get_shape(client):
    name = unique("shape")
    before = now_ms()
    exp_id = client.create_experiment(name, tags=[{"key": "team", "value": "vision"},
                                                  {"key": "k 2", "value": ""}])
    after = now_ms()
    exp = client.ok_get("experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["experiment_id"] == exp_id
    assert exp["name"] == name
    assert exp["lifecycle_stage"] == "active"
    assert exp["artifact_location"] == f"mlflow-artifacts:/{exp_id}"
    for f in ("creation_time", "last_update_time"):
        assert isinstance(exp[f], int) and not isinstance(exp[f], bool), exp
        assert before - 5000 <= exp[f] <= after + 5000, (f, exp[f])
    assert tags_dict(exp) == {"team": "vision", "k 2": ""}


def test_experiment_ids_are_distinct_strings(client):
    ids = [client.create_experiment() for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(isinstance(i, str) and i.isdigit() for i in ids)


def test_get_unknown_experiment(client):
    assert_error(client.get("experiments/get", {"experiment_id": "987654321"}), "RESOURCE_DOES_NOT_EXIST")


def test_get_by_name_unknown(client):
    assert_error(client.get("experiments/get-by-name", {"experiment_name": unique("missing")}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_create_missing_or_empty_name(client):
    assert_error(client.post("experiments/create", {}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("experiments/create", {"name": ""}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("experiments/create", {"artifact_location": "x"}), "INVALID_PARAMETER_VALUE")


def test_get_missing_id(client):
    assert_error(client.get("experiments/get", {}), "INVALID_PARAMETER_VALUE")
    assert_error(client.get("experiments/get-by-name", {}), "INVALID_PARAMETER_VALUE")


def test_duplicate_name(client):
    name = unique("dup")
    client.create_experiment(name)
    assert_error(client.post("experiments/create", {"name": name}), "RESOURCE_ALREADY_EXISTS")


def test_deleted_name_stays_reserved(client):
    name = unique("reserved")
    exp_id = client.create_experiment(name)
    client.ok_post("experiments/delete", {"experiment_id": exp_id})
    assert_error(client.post("experiments/create", {"name": name}), "RESOURCE_ALREADY_EXISTS")
    # get-by-name also returns deleted experiments
    exp = client.ok_get("experiments/get-by-name", {"experiment_name": name})["experiment"]
    assert exp["experiment_id"] == exp_id and exp["lifecycle_stage"] == "deleted"


# --- update / delete / restore ------------------------------------------------------------------


def test_rename(client):
    old, new = unique("old"), unique("new")
    exp_id = client.create_experiment(old)
    assert client.ok_post("experiments/update", {"experiment_id": exp_id, "new_name": new}) == {}
    exp = client.ok_get("experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["name"] == new
    assert client.ok_get("experiments/get-by-name", {"experiment_name": new})["experiment"]["experiment_id"] == exp_id
    assert_error(client.get("experiments/get-by-name", {"experiment_name": old}), "RESOURCE_DOES_NOT_EXIST")


def test_rename_onto_existing_name_is_400(client):
    a, b = unique("a"), unique("b")
    client.create_experiment(a)
    b_id = client.create_experiment(b)
    st, body = client.post("experiments/update", {"experiment_id": b_id, "new_name": a})
    assert st == 400, (st, body)
    assert client.ok_get("experiments/get", {"experiment_id": b_id})["experiment"]["name"] == b


def test_update_unknown_experiment(client):
    assert_error(client.post("experiments/update", {"experiment_id": "987654321", "new_name": unique()}),
                 "RESOURCE_DOES_NOT_EXIST")


def test_delete_restore_and_runs_follow(client):
    exp_id = client.create_experiment()
    runs = [client.create_run(exp_id)["info"]["run_id"] for _ in range(2)]
    assert client.ok_post("experiments/delete", {"experiment_id": exp_id}) == {}
    exp = client.ok_get("experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["lifecycle_stage"] == "deleted"
    for rid in runs:
        assert client.get_run(rid)["info"]["lifecycle_stage"] == "deleted"
    assert client.search_runs([exp_id]).get("runs", []) == []
    deleted = client.search_runs([exp_id], run_view_type="DELETED_ONLY").get("runs", [])
    assert sorted(r["info"]["run_id"] for r in deleted) == sorted(runs)
    # logging into a run of a deleted experiment / creating a run there is refused
    assert_error(client.post("runs/log-metric", {"run_id": runs[0], "key": "m", "value": 1,
                                                 "timestamp": now_ms()}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("runs/create", {"experiment_id": exp_id, "start_time": now_ms()}),
                 "INVALID_PARAMETER_VALUE")

    assert client.ok_post("experiments/restore", {"experiment_id": exp_id}) == {}
    exp = client.ok_get("experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["lifecycle_stage"] == "active"
    for rid in runs:
        assert client.get_run(rid)["info"]["lifecycle_stage"] == "active"
    active = client.search_runs([exp_id]).get("runs", [])
    assert sorted(r["info"]["run_id"] for r in active) == sorted(runs)


def test_delete_unknown_experiment(client):
    assert_error(client.post("experiments/delete", {"experiment_id": "987654321"}), "RESOURCE_DOES_NOT_EXIST")


def test_delete_missing_id(client):
    assert_error(client.post("experiments/delete", {}), "INVALID_PARAMETER_VALUE")


# --- tags ---------------------------------------------------------------------------------------


def test_set_and_delete_experiment_tag(client, exp):
    assert client.ok_post("experiments/set-experiment-tag", {"experiment_id": exp, "key": "k", "value": "v1"}) == {}
    client.ok_post("experiments/set-experiment-tag", {"experiment_id": exp, "key": "k", "value": "v2"})
    client.ok_post("experiments/set-experiment-tag", {"experiment_id": exp, "key": "other", "value": "o"})
    got = tags_dict(client.ok_get("experiments/get", {"experiment_id": exp})["experiment"])
    assert got == {"k": "v2", "other": "o"}
    assert client.ok_post("experiments/delete-tag", {"experiment_id": exp, "key": "k"}) == {}
    got = tags_dict(client.ok_get("experiments/get", {"experiment_id": exp})["experiment"])
    assert got == {"other": "o"}


def test_experiment_tag_validation(client, exp):
    base = {"experiment_id": exp}
    assert_error(client.post("experiments/set-experiment-tag", dict(base, value="v")), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("experiments/set-experiment-tag", dict(base, key="k" * 251, value="v")),
                 "INVALID_PARAMETER_VALUE")
    assert_error(client.post("experiments/set-experiment-tag", dict(base, key="k", value="v" * 5001)),
                 "INVALID_PARAMETER_VALUE")
    client.ok_post("experiments/set-experiment-tag", dict(base, key="k" * 250, value="v" * 5000))
    assert_error(client.post("experiments/set-experiment-tag",
                             {"experiment_id": "987654321", "key": "k", "value": "v"}), "RESOURCE_DOES_NOT_EXIST")


# --- search -------------------------------------------------------------------------------------


@pytest.fixture
def family(client):
    """Five experiments sharing a unique prefix; names p-a .. p-e, tag 'grp' on some."""
    prefix = unique("fam")
    ids = {}
    for i, suffix in enumerate("abcde"):
        tags = [{"key": "grp", "value": "odd" if i % 2 == 0 else "even"}]
        ids[suffix] = client.create_experiment(f"{prefix}-{suffix}", tags=tags)
    return prefix, ids


def test_search_filter_name(client, family):
    prefix, ids = family
    js = client.ok_post("experiments/search", {"filter": f"name LIKE '{prefix}-%'"})
    assert sorted(e["experiment_id"] for e in js["experiments"]) == sorted(ids.values())
    js = client.ok_post("experiments/search", {"filter": f"name = '{prefix}-c'"})
    assert [e["experiment_id"] for e in js["experiments"]] == [ids["c"]]
    js = client.ok_post("experiments/search", {"filter": f"name ILIKE '{prefix.upper()}-%'"})
    assert len(js["experiments"]) == 5
    js = client.ok_post("experiments/search", {"filter": f"name LIKE '{prefix.upper()}-%'"})
    assert js.get("experiments", []) == []
    js = client.ok_post("experiments/search", {"filter": f"name LIKE '{prefix}-%' AND name != '{prefix}-a'"})
    assert sorted(e["experiment_id"] for e in js["experiments"]) == sorted(ids[s] for s in "bcde")


def test_search_filter_tags_and_time(client, family):
    prefix, ids = family
    js = client.ok_post("experiments/search", {"filter": f"name LIKE '{prefix}-%' AND tags.grp = 'odd'"})
    assert sorted(e["experiment_id"] for e in js["experiments"]) == sorted(ids[s] for s in "ace")
    exp = client.ok_get("experiments/get", {"experiment_id": ids["a"]})["experiment"]
    ct = exp["creation_time"]
    js = client.ok_post("experiments/search",
                        {"filter": f"name LIKE '{prefix}-%' AND creation_time >= {ct}"})
    assert ids["a"] in {e["experiment_id"] for e in js["experiments"]}
    js = client.ok_post("experiments/search",
                        {"filter": f"name LIKE '{prefix}-%' AND creation_time < {ct - 100000}"})
    assert js.get("experiments", []) == []


def test_search_order_by(client, family):
    prefix, ids = family
    js = client.ok_post("experiments/search", {"filter": f"name LIKE '{prefix}-%'", "order_by": ["name DESC"]})
    assert [e["name"] for e in js["experiments"]] == [f"{prefix}-{s}" for s in "edcba"]
    js = client.ok_post("experiments/search", {"filter": f"name LIKE '{prefix}-%'", "order_by": ["name ASC"]})
    assert [e["name"] for e in js["experiments"]] == [f"{prefix}-{s}" for s in "abcde"]
    # default: creation_time DESC, experiment_id ASC
    js = client.ok_post("experiments/search", {"filter": f"name LIKE '{prefix}-%'"})
    got = [(e["creation_time"], int(e["experiment_id"])) for e in js["experiments"]]
    assert got == sorted(got, key=lambda t: (-t[0], t[1]))


def test_search_via_get_with_repeated_order_by(client, family):
    prefix, ids = family
    js = client.ok_get("experiments/search", {"filter": f"name LIKE '{prefix}-%'",
                                              "order_by": ["name DESC", "experiment_id ASC"],
                                              "max_results": "10"})
    assert [e["name"] for e in js["experiments"]] == [f"{prefix}-{s}" for s in "edcba"]
    # a single occurrence of a repeated field is a one-element list
    js = client.ok_get("experiments/search", {"filter": f"name LIKE '{prefix}-%'", "order_by": "name ASC"})
    assert [e["name"] for e in js["experiments"]] == [f"{prefix}-{s}" for s in "abcde"]


@pytest.mark.parametrize("form", ["order_by[0]", "order_by[]"])
def test_search_via_get_indexed_list_forms(client, family, form):
    prefix, _ = family
    query = urllib.parse.urlencode([("filter", f"name LIKE '{prefix}-%'"), (form, "name DESC")])
    st, js = client.get_raw_query("experiments/search", query)
    assert st == 200, js
    assert [e["name"] for e in js["experiments"]] == [f"{prefix}-{s}" for s in "edcba"]


@pytest.mark.parametrize("via_get", [False, True], ids=["post", "get"])
def test_search_paging(client, family, via_get):
    prefix, ids = family
    got = _search_all(client, 2, via_get=via_get, filter=f"name LIKE '{prefix}-%'", order_by=["name ASC"])
    assert [e["name"] for e in got] == [f"{prefix}-{s}" for s in "abcde"]
    got = _search_all(client, 1, via_get=via_get, filter=f"name LIKE '{prefix}-%'")
    assert sorted(e["experiment_id"] for e in got) == sorted(ids.values())


def test_search_paging_over_everything_is_exact(client, family):
    everything = _search_all(client, 3, view_type="ALL")
    eids = [e["experiment_id"] for e in everything]
    assert len(eids) == len(set(eids)), "an experiment was returned twice while paging"
    assert set(family[1].values()) <= set(eids) and "0" in eids


def test_search_invalid_page_token(client):
    assert_error(client.post("experiments/search", {"page_token": "not-a-token!!"}), "INVALID_PARAMETER_VALUE")
    assert_error(client.get("experiments/search", {"page_token": "garbage%%%"}), "INVALID_PARAMETER_VALUE")


def test_search_view_type(client):
    prefix = unique("vt")
    live = client.create_experiment(f"{prefix}-live")
    dead = client.create_experiment(f"{prefix}-dead")
    client.ok_post("experiments/delete", {"experiment_id": dead})
    flt = f"name LIKE '{prefix}-%'"

    def ids(**kw):
        return sorted(e["experiment_id"] for e in client.ok_post("experiments/search", dict(filter=flt, **kw)).get("experiments", []))

    assert ids() == [live]
    assert ids(view_type="ACTIVE_ONLY") == [live]
    assert ids(view_type="DELETED_ONLY") == [dead]
    assert ids(view_type="ALL") == sorted([live, dead])
    assert ids(view_type=2) == [dead]  # enum given as its integer value
    assert ids(view_type=3) == sorted([live, dead])
    # and through the GET form (query string)
    js = client.ok_get("experiments/search", {"filter": flt, "view_type": "DELETED_ONLY"})
    assert [e["experiment_id"] for e in js["experiments"]] == [dead]
    js = client.ok_get("experiments/search", {"filter": flt, "view_type": "ALL", "max_results": "1"})
    assert len(js["experiments"]) == 1 and js.get("next_page_token")


def test_search_bad_requests(client):
    assert_error(client.post("experiments/search", {"filter": "name = "}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("experiments/search", {"filter": "bogus_attr = 'x'"}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("experiments/search", {"order_by": ["bogus_attr"]}), "INVALID_PARAMETER_VALUE")
    assert_error(client.post("experiments/search", {"max_results": 50001}), "INVALID_PARAMETER_VALUE")
    assert client.ok_post("experiments/search", {"max_results": 50000}) is not None


def test_search_max_results_limits_page(client):
    for _ in range(3):
        client.create_experiment()
    js = client.ok_post("experiments/search", {"max_results": 2})
    assert len(js["experiments"]) == 2
    assert js.get("next_page_token")
