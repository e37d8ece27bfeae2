"""``/pooling`` task handling per release: online-serving.md §1.3, every row, with the log lines, the Python warning
carrying the rule code and the usage-report hit."""

from __future__ import annotations

import os
import warnings

import pytest
from serve_helpers import (COMBINED_500, M05_CLASSIFY_ON_E, M05E_PLUGIN_ON_E, M08, M14A_TOKEN_EMBED,
                           M14B_TOKEN_EMBED, M15_TOKEN_EMBED, M27, POOLING_LOGGER, error, records)

from vllm_pooling_migrate.shim import report
from vllm_pooling_migrate.shim.deprecations import RemovedInV021Warning

TEXT = "the model is fast"
HIDDEN = 32
ALL = ("0.18", "0.19", "0.20", "0.21")


def pool(client, **body):
    return client.post("/pooling", json={"input": TEXT, **body})


def data_of(response):
    assert response.status_code == 200, response.text
    return response.json()["data"][0]["data"]


@pytest.mark.parametrize("release", ("0.19", "0.20", "0.21"))
def test_no_task_runs_the_default(serve, release):
    assert len(data_of(pool(serve("E", release)))) == HIDDEN  # one embed vector
    per_token = data_of(pool(serve("E'", release)))  # E' defaults to token_embed
    assert len(per_token) == 6 and all(len(row) == HIDDEN for row in per_token)


def test_018_no_task_falls_back_to_token_embed_in_the_engine(serve):
    assert len(data_of(pool(serve("E", "0.18")))) == 6


@pytest.mark.parametrize("release", ALL)
def test_default_task_named(serve, release):
    assert len(data_of(pool(serve("E", release), task="embed"))) == HIDDEN


def test_018_non_default_task_is_silent(serve, caplog):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(data_of(pool(serve("E", "0.18"), task="token_embed"))) == 6
    assert records(caplog, POOLING_LOGGER) == []


@pytest.mark.parametrize(("release", "text"), [("0.19", M14A_TOKEN_EMBED), ("0.20", M14B_TOKEN_EMBED)])
def test_supported_non_default_task_warns_once_per_task(serve, caplog, release, text):
    client = serve("E", release)
    with pytest.warns(RemovedInV021Warning) as caught:
        first = data_of(pool(client, task="token_embed"))
        second = data_of(pool(client, task="token_embed"))
    assert first == second and len(first) == 6
    assert records(caplog, POOLING_LOGGER) == [text]  # warning_once: one line for two requests
    record = next(r for r in caplog.records if r.name == POOLING_LOGGER)
    assert record.levelname == "WARNING" and record.args == ("token_embed",)
    warning = caught[0].message
    assert warning.code == "POOL019" and warning.vllm_text == text
    assert str(warning).startswith(f"POOL019: {text}\n  fix: migrate-pooling --select POOL019")
    assert report.snapshot()[("POOL019", "<http POST /pooling>", 0)] >= 2


def test_each_task_value_warns_once(serve, caplog):
    client = serve("M", "0.20")  # default embed&token_classify: embed and token_embed are both non-default
    with pytest.warns(RemovedInV021Warning):
        for task in ("embed", "token_embed", "embed", "token_embed"):
            assert pool(client, task=task).status_code == 200
    assert [r.args for r in caplog.records if r.name == POOLING_LOGGER] == [("embed",), ("token_embed",)]


def test_021_non_default_task_is_m15(serve, caplog):
    before = report.snapshot()[("POOL019", "<http POST /pooling>", 0)]
    response = pool(serve("E", "0.21"), task="token_embed")
    assert response.status_code == 400
    assert response.json() == error(M15_TOKEN_EMBED)
    assert records(caplog, POOLING_LOGGER) == []
    assert report.snapshot()[("POOL019", "<http POST /pooling>", 0)] == before + 1


@pytest.mark.parametrize("release", ("0.19", "0.20", "0.21"))
@pytest.mark.parametrize("task", ["classify", "token_classify", "embed&token_classify"])
def test_unsupported_task_is_m05_with_the_tuple(serve, release, task):
    response = pool(serve("E", release), task=task)
    assert response.json() == error(M05_CLASSIFY_ON_E.replace("'classify'", repr(task)))


def test_018_unsupported_task_is_the_engine_list_text(serve):
    response = pool(serve("E", "0.18"), task="classify")
    assert response.json() == error("Unsupported task: 'classify' Supported tasks: ['embed', 'token_embed']")
    assert pool(serve("E", "0.18"), task="score").json() == error(
        "Unsupported task: 'score' Supported tasks: ['embed', 'token_embed']")


def test_018_score_task_runs_classify_on_a_classifier(serve):
    assert len(data_of(pool(serve("C", "0.18"), task="score"))) == 3


@pytest.mark.parametrize(("release", "status", "body"), [
    ("0.19", 200, None),
    ("0.20", 400, error("Unsupported task: 'embed&token_classify' Supported tasks: "
                        "('embed', 'token_embed', 'token_classify', 'embed&token_classify')")),
    ("0.21", 400, error("Try switching the model's pooling_task via --pooler-config.task embed&token_classify.")),
])
def test_bge_m3_started_for_embed_asked_for_the_combined_task(serve, release, status, body):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        response = pool(serve("M", release, "--pooler-config.task", "embed"), task="embed&token_classify")
    assert response.status_code == status
    if body is not None:
        assert response.json() == body


def test_bge_m3_no_task_019_runs_the_combined_task(serve, engines):
    vector = data_of(pool(serve("M", "0.19")))
    expected = engines["bge-m3"].run("embed&token_classify", [TEXT])[0].data
    assert len(vector) == expected.numel() == HIDDEN + 6 - 2  # dense + sparse weights (BOS and EOS dropped)


@pytest.mark.parametrize("release", ("0.20", "0.21"))
def test_bge_m3_no_task_is_the_keyerror_500(serve, release):
    response = pool(serve("M", release))
    assert (response.status_code, response.json()) == (500, COMBINED_500)


@pytest.mark.parametrize(("release", "body"), [
    ("0.18", error(M05E_PLUGIN_ON_E)), ("0.19", error(M05E_PLUGIN_ON_E)), ("0.20", error(M08)), ("0.21", error(M08)),
])
def test_input_with_plugin_task(serve, release, body):
    assert pool(serve("E", release), task="plugin").json() == body


@pytest.mark.parametrize("release", ALL)
def test_data_body_is_m08(serve, release):
    response = serve("E", release).post("/pooling", json={"data": {"image": "x"}})
    assert response.json() == error(M08)


@pytest.mark.parametrize("release", ("0.19", "0.20", "0.21"))
@pytest.mark.parametrize("task", ["score", "encode", "embedding"])
def test_invalid_task_value_is_a_schema_error(serve, release, task):
    response = pool(serve("E", release), task=task)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "Bad Request"
    assert response.json()["error"]["code"] == 400


@pytest.mark.parametrize("release", ALL)
def test_dimensions_is_m27(serve, release):
    assert pool(serve("E", release), dimensions=8).json() == error(M27)


def test_dimensions_checked_before_the_task_in_020(serve):
    assert pool(serve("E", "0.20"), task="classify", dimensions=8).json() == error(M27)


def test_task_checks_precede_the_model_check_from_020(serve):
    client = serve("E", "0.20")
    assert pool(client, task="classify", model="other").json() == error(M05_CLASSIFY_ON_E)
    assert pool(client, model="other").json() == error("The model `other` does not exist.", "NotFoundError", 404)


def test_019_checks_the_model_first_with_param_model(serve):
    response = pool(serve("E", "0.19"), task="classify", model="other")
    assert response.json() == error("The model `other` does not exist.", "NotFoundError", 404, "model")


def test_use_activation_reaches_the_engine(serve, engines):
    from vllm_pooling_migrate.runtime import TaskParams

    raw = data_of(pool(serve("C", "0.20"), task="classify", use_activation=False))
    expected = engines["bert-cls"].run("classify", [TEXT], TaskParams(use_activation=False))[0].data.tolist()
    assert raw == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(("release", "prefix"), [("0.18", "pool-"), ("0.19", "pool-"), ("0.20", "pooling-"),
                                                  ("0.21", "pooling-")])
def test_response_shape_and_id_prefix(serve, release, prefix):
    body = pool(serve("E", release), task="embed").json()
    assert list(body) == ["id", "object", "created", "model", "data", "usage"]
    assert body["id"].startswith(prefix) and body["object"] == "list"
    assert list(body["data"][0]) == ["index", "object", "data"] and body["data"][0]["object"] == "pooling"
    assert body["usage"] == {"prompt_tokens": 6, "total_tokens": 6, "completion_tokens": 0,
                             "prompt_tokens_details": None}
