"""Offline decision tables (spec §4.1-§4.4, §12.1) per emulated release, on the fake engine."""

from __future__ import annotations

import logging
import pickle
import sys
import warnings

import pytest
from shim_fake_engine import bert_like_settings

from vllm_pooling_migrate.shim import PoolerConfig, PoolingParams, PoolingDeprecationWarning, RemovedInV021Warning, report
from vllm_pooling_migrate.shim.messages import render, text

ALL_TARGETS = ["0.18", "0.19", "0.20", "0.21"]


def multitask_warning(task: str) -> str:
    return text("M06") % task


# -- default task (§3.3) ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, default", [("embedding", "embed"), ("classifier", "classify"),
                                           ("ner", "token_classify"), ("bge-m3", "embed&token_classify")])
def test_default_task_follows_the_resolver(fake_llm, kind, default):
    assert fake_llm(kind).pooling_task == default


def test_explicit_task_wins_and_an_unsupported_one_fails_at_construction(fake_llm):
    assert fake_llm("embedding", pooler_config=PoolerConfig(task="token_embed")).pooling_task == "token_embed"
    with pytest.raises(RuntimeError) as error:
        fake_llm("embedding", pooler_config={"task": "classify"})
    assert str(error.value) == "Unsupported task: 'classify' Supported tasks: ('embed', 'token_embed')"


def test_018_has_no_default_task_and_lists_score(fake_llm, target):
    target("0.18")
    llm = fake_llm("classifier")
    assert llm.pooling_task is None
    assert llm.supported_tasks == ("classify", "score", "token_classify")


def test_construction_logs_the_supported_task(fake_llm, caplog, target):
    with caplog.at_level(logging.INFO, logger="vllm.entrypoints.llm"):
        fake_llm("embedding")
        target("0.18")
        fake_llm("embedding")
    assert [(r.msg, r.args) for r in caplog.records] == [
        ("Supported pooling task: %s", ("embed",)), ("Supported tasks: %s", (("embed", "token_embed"),))]


# -- a non-default supported task ------------------------------------------------------------------------------

def test_non_default_task_warns_at_the_callers_line_on_020(fake_llm):
    llm = fake_llm("embedding")
    with pytest.warns(RemovedInV021Warning) as record:
        llm.encode(["a"], pooling_task="token_embed")
    [warning] = record
    assert warning.filename == __file__
    assert str(warning.message) == ("POOL005: " + multitask_warning("token_embed") +
                                    "\n  fix: migrate-pooling --select POOL005 " + report.display_path(__file__))
    assert warning.message.vllm_text == multitask_warning("token_embed")
    assert llm.engine.calls[-1][:2] == ("run", "token_embed")


@pytest.mark.parametrize("version, outcome", [("0.18", "silent"), ("0.19", "warn"), ("0.20", "warn"),
                                              ("0.21", "raise")])
def test_non_default_task_per_version(fake_llm, target, version, outcome):
    target(version)
    llm = fake_llm("bge-m3", pooler_config=None if version == "0.18" else PoolerConfig(task="embed"))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        if outcome == "raise":
            with pytest.raises(ValueError) as error:
                llm.encode("a", pooling_task="token_classify")
            assert str(error.value) == "Try switching the model's pooling_task via `PoolerConfig(task=\"token_classify\")`"
            assert type(error.value) is ValueError
            assert any("POOL005" in note for note in error.value.__notes__)
        else:
            llm.encode("a", pooling_task="token_classify")
    assert [w.message.code for w in record] == (["POOL005"] if outcome == "warn" else [])


def test_an_error_filter_raises_the_warning_class_after_recording_the_hit(fake_llm):
    llm = fake_llm("embedding")
    before = report.snapshot()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="POOL005:")
        with pytest.raises(RemovedInV021Warning):
            llm.encode("a", pooling_task="token_embed")
    line = sys._getframe().f_lineno - 1  # the encode() call
    assert report.snapshot() - before == {("POOL005", __file__, line): 1}
    assert llm.engine.calls == []  # nothing ran
    assert issubclass(RemovedInV021Warning, (PoolingDeprecationWarning, FutureWarning))


def test_warnings_survive_pickling(fake_llm):
    with pytest.warns(RemovedInV021Warning) as record:
        fake_llm("embedding").encode("a", pooling_task="token_embed")
    copy = pickle.loads(pickle.dumps(record[0].message))
    assert (type(copy), str(copy), copy.code) == (RemovedInV021Warning, str(record[0].message), "POOL005")


def test_multitask_warning_is_logged_once_per_task_value(fake_llm, caplog):
    llm = fake_llm("bge-m3", pooler_config=PoolerConfig(task="embed"))
    with caplog.at_level(logging.WARNING, logger="vllm.entrypoints.llm"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for task in ["token_embed", "token_embed", "token_classify", "token_embed"]:
            llm.encode("a", pooling_task=task)
    assert [(r.name, r.msg, r.args) for r in caplog.records] == [
        ("vllm.entrypoints.llm", text("M06"), ("token_embed",)),
        ("vllm.entrypoints.llm", text("M06"), ("token_classify",)),
    ]


def test_warn_mode_keeps_one_engine_for_every_task(fake_llm):
    llm = fake_llm("bge-m3")
    engine = llm.engine
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        llm.embed("a")
        llm.encode("a", pooling_task="token_embed")
    assert llm.engine is engine
    assert [call[1] for call in engine.calls] == ["embed", "token_embed"]


# -- unsupported tasks, runner, plugin, data prompts -------------------------------------------------------------

@pytest.mark.parametrize("version", ["0.19", "0.20", "0.21"])
@pytest.mark.parametrize("kind, task, message", [("classifier", "embed", "M03"), ("classifier", "token_embed", "M03"),
                                                 ("embedding", "classify", "M04"), ("ner", "classify", "M04")])
def test_unsupported_task_family_messages(fake_llm, target, version, kind, task, message):
    target(version)
    with pytest.raises(ValueError, match="^" + text(message).replace("(", r"\(").replace(")", r"\)") + "$"):
        fake_llm(kind).encode("a", pooling_task=task)


def test_unsupported_other_task_shows_the_tuple_and_018_the_engine_list(fake_llm, target):
    with pytest.raises(ValueError) as error:
        fake_llm("embedding").encode("a", pooling_task="embed&token_classify")
    assert str(error.value) == render("M05", task_repr="'embed&token_classify'", tuple_repr="('embed', 'token_embed')")
    target("0.18")
    with pytest.raises(ValueError) as error:
        fake_llm("embedding").encode("a", pooling_task="classify")
    assert str(error.value) == "Unsupported task: 'classify' Supported tasks: ['embed', 'token_embed']"


@pytest.mark.parametrize("version", ALL_TARGETS)
def test_generative_runner_is_rejected(fake_llm, target, version):
    target(version)
    llm = fake_llm("generator")
    with pytest.raises(ValueError, match="only supported for pooling models"):
        llm.encode("a", pooling_task="embed")
    with pytest.raises(ValueError) as error:
        llm.score("a", "b")
    assert str(error.value) == text("M20")


def test_runner_pooling_converts_a_generative_architecture(fake_llm):
    llm = fake_llm("generator", runner="pooling")
    assert (llm.runner, llm.pooling_task, llm.engine.load_kwargs["convert"]) == ("pooling", "embed", "embed")


@pytest.mark.parametrize("version, message", [("0.18", "M02a"), ("0.19", "M01"), ("0.21", "M01")])
def test_missing_task_is_checked_before_the_runner_on_018_only(fake_llm, target, version, message):
    target(version)
    with pytest.raises(ValueError) as error:
        fake_llm("generator").encode("a")
    assert str(error.value) == text(message)


@pytest.mark.parametrize("version, message", [("0.18", "M08"), ("0.19", "M08"), ("0.20", "M09"), ("0.21", "M09")])
def test_data_prompts(fake_llm, target, version, message):
    target(version)
    with pytest.raises(ValueError) as error:
        fake_llm("embedding").encode({"data": [1, 2]}, pooling_task="embed")
    assert str(error.value) == text(message)


def test_plugin_without_an_io_processor(fake_llm, target):
    with pytest.raises(ValueError) as error:
        fake_llm("embedding").encode({"data": 1}, pooling_task="plugin")
    assert str(error.value) == text("M08")


@pytest.mark.parametrize("version", ["0.20", "0.21"])
def test_combined_task_fails_the_io_processor_assertion_from_020(fake_llm, target, version):
    target(version)
    with pytest.raises(AssertionError):
        fake_llm("bge-m3").encode("a", pooling_task="embed&token_classify")


def test_combined_task_runs_on_019(fake_llm, target):
    target("0.19")
    llm = fake_llm("bge-m3")
    llm.encode("a", pooling_task="embed&token_classify")
    assert llm.engine.calls[-1][1] == "embed&token_classify"


# -- missing task and PoolingParams(task=) -----------------------------------------------------------------------

@pytest.mark.parametrize("version, message", [("0.21", "M02b")])
def test_missing_task_raises_in_the_preview(fake_llm, target, version, message):
    target(version)
    with pytest.raises(ValueError) as error:
        fake_llm("embedding").encode("a")
    assert str(error.value) == text(message)
    with pytest.raises(ValueError) as error:
        fake_llm("embedding").encode("a", PoolingParams(task="embed"))
    assert str(error.value) == text(message)


@pytest.mark.parametrize("version, message", [("0.19", "M02a"), ("0.20", "M02b")])
def test_params_task_without_pooling_task_runs_with_a_warning(fake_llm, target, version, message):
    target(version)
    llm = fake_llm("embedding")
    with pytest.warns(Warning) as record:
        llm.encode("a", PoolingParams(task="token_embed"))
    assert [(w.message.code, w.message.vllm_text, w.filename) for w in record if w.message.code == "POOL007"] == [
        ("POOL007", text(message), __file__)]
    assert llm.engine.calls[-1][1] == "token_embed"


def test_encode_without_task_runs_the_default_with_vllms_old_text(fake_llm, caplog):
    llm = fake_llm("classifier")
    with pytest.warns(Warning) as record, caplog.at_level(logging.WARNING, logger="vllm.entrypoints.llm"):
        llm.encode("a")
    [warning] = record
    assert (warning.message.code, warning.message.vllm_text) == ("POOL006", text("M67") % "classify")
    assert [(r.msg, r.args) for r in caplog.records] == [(text("M67"), ("classify",))]


@pytest.mark.parametrize("version", ALL_TARGETS)
def test_conflicting_params_task(fake_llm, target, version):
    target(version)
    llm = fake_llm("embedding", pooler_config=None if version == "0.18" else PoolerConfig(task="token_embed"))
    with pytest.raises(ValueError) as error:
        llm.encode("a", PoolingParams(task="embed"), pooling_task="token_embed")
    assert str(error.value) == "You cannot overwrite param.task='embed' with pooling_task='token_embed'!"


# -- score task value (POOL021) -----------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["0.19", "0.20"])
def test_score_task_value_maps_to_classify_with_m17(fake_llm, target, caplog, version):
    target(version)
    llm = fake_llm("cross-encoder")
    with pytest.warns(Warning) as record, caplog.at_level(logging.WARNING, logger="vllm.pooling_params"):
        llm.classify("a", pooling_params=PoolingParams(task="score"))
    assert [w.message.code for w in record] == ["POOL021"]
    assert [(r.name, r.msg) for r in caplog.records] == [("vllm.pooling_params", text("M17"))]
    assert llm.engine.calls[-1][1] == "classify"


def test_score_task_value_in_the_preview(fake_llm, target):
    target("0.21")
    llm = fake_llm("cross-encoder")
    with pytest.raises(ValueError) as error:
        llm.classify("a", pooling_params=PoolingParams(task="score"))
    assert str(error.value) == "You cannot overwrite param.task='score' with pooling_task='classify'!"
    with pytest.raises(ValueError) as error:
        llm.encode("a", pooling_task="score")
    assert str(error.value) == "Unsupported task: 'score' Supported tasks: ('classify', 'token_classify')"


def test_score_is_a_task_on_018(fake_llm, target, recwarn):
    target("0.18")
    llm = fake_llm("cross-encoder")
    llm.encode("a", pooling_task="score")
    assert llm.engine.calls[-1][1] == "classify"
    assert not [w for w in recwarn if hasattr(w.message, "code")]


# -- embed / classify / reward ----------------------------------------------------------------------------------

def test_typed_outputs_carry_vllms_attribute_names(fake_llm):
    embedding = fake_llm("embedding").embed(["a b", "c"])
    assert [o.outputs.embedding for o in embedding] == [[0.0] * 4, [1.0] * 4]
    assert embedding[1].prompt_token_ids == [2, 1, 3]
    classes = fake_llm("classifier").classify("a")
    assert classes[0].outputs.probs == [0.0] * 4 and classes[0].outputs.num_classes == 4


@pytest.mark.parametrize("version, codes", [("0.18", []), ("0.19", []), ("0.20", ["POOL009"]),
                                            ("0.21", ["POOL009"])])
def test_reward_on_a_token_classifier(fake_llm, target, version, codes):
    target(version)
    llm = fake_llm("ner")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        outputs = llm.reward("a")
    assert [w.message.code for w in record] == codes
    assert [w.message.vllm_text for w in record] == [text("M11")] * len(codes)
    assert llm.engine.calls[-1][1] == "token_classify" and outputs[0].outputs.data.shape == (4,)


def test_reward_on_a_sequence_classifier_in_the_preview(fake_llm, target):
    target("0.21")
    with pytest.warns(Warning), pytest.raises(ValueError, match="pooling_task via `PoolerConfig"):
        fake_llm("classifier").reward("a")


def test_018_embed_checks_support_before_encode(fake_llm, target):
    target("0.18")
    with pytest.raises(ValueError) as error:
        fake_llm("classifier").embed("a")
    assert str(error.value) == text("M03")


# -- score (§4.4) ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version, score_type", [("0.18", "bi-encoder"), ("0.19", "bi-encoder"),
                                                 ("0.20", "bi-encoder"), ("0.21", "late-interaction")])
def test_score_type_from_architecture_until_020_then_from_the_default_task(fake_llm, target, version, score_type):
    target(version)
    config = None if version == "0.18" else PoolerConfig(task="token_embed")
    llm = fake_llm("embedding", pooler_config=config)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        [result] = llm.score("q", "d")
    assert llm.engine.calls[-1][:2] == ("score", score_type)
    assert result.outputs.score == 0.5
    # 0.19 verifies the bi-encoder's embed task, which is not the default here: M06.
    assert [w.message.code for w in record] == (["POOL005"] if version == "0.19" else [])


@pytest.mark.parametrize("version, message", [("0.18", "M22"), ("0.19", "M22"), ("0.20", "M25"), ("0.21", "M25")])
def test_score_on_a_multi_label_classifier(fake_llm, target, version, message):
    target(version)
    with pytest.raises(ValueError) as error:
        fake_llm("classifier").score("q", "d")
    assert str(error.value) == text(message)


def test_score_without_a_type_for_the_default_task_in_the_preview(fake_llm, target):
    target("0.21")
    with pytest.raises(ValueError) as error:
        fake_llm("ner").score("q", "d")
    assert str(error.value) == text("M26")


def test_score_pairs_broadcast_one_query(fake_llm):
    llm = fake_llm("cross-encoder")
    results = llm.score("q", ["d1", "d2"])
    assert llm.engine.calls[-1][2] == [("q", "d1"), ("q", "d2")]
    assert results[0].prompt_token_ids == [2, 1, 3, 2, 3]
    with pytest.raises(ValueError):
        llm.score(["a", "b"], ["c", "d", "e"])


def test_chat_template_is_cross_encoder_only_before_020(fake_llm, target):
    target("0.19")
    with pytest.raises(ValueError) as error:
        fake_llm("embedding").score("q", "d", chat_template="{{ x }}")
    assert str(error.value) == text("M23")


# -- request parameters (§9.2) -------------------------------------------------------------------------------

def test_request_parameters_reach_the_engine(fake_llm):
    llm = fake_llm("matryoshka")
    llm.embed(["a", "b"], pooling_params=[PoolingParams(dimensions=4), PoolingParams(use_activation=False)])
    [(_, _, prompts, params)] = llm.engine.calls
    assert prompts == ["a", "b"]
    assert [(p.dimensions, p.use_activation) for p in params] == [(4, True), (None, False)]


def test_matryoshka_and_invalid_parameter_messages(fake_llm):
    with pytest.raises(ValueError) as error:
        fake_llm("embedding").embed("a", pooling_params=PoolingParams(dimensions=4))
    assert str(error.value) == render("M18a", served_model_name="tiny")
    with pytest.raises(ValueError) as error:
        fake_llm("matryoshka").embed("a", pooling_params=PoolingParams(dimensions=5))
    assert str(error.value) == "Model 'tiny' only supports [4, 8] matryoshka dimensions, use other output " \
                               "dimensions will lead to poor results."
    with pytest.raises(ValueError) as error:
        fake_llm("matryoshka", info={"matryoshka_dimensions": None}).embed(
            "a", pooling_params=PoolingParams(dimensions=0))
    assert str(error.value) == text("M18c")
    with pytest.raises(ValueError) as error:
        fake_llm("classifier").classify("a", pooling_params=PoolingParams(dimensions=4))
    assert str(error.value) == "Task 'classify' only supports ['use_activation'] parameters, does not support " \
                               "['dimensions'] parameters"
    with pytest.raises(ValueError) as error:
        fake_llm("ner").encode("a", PoolingParams(step_tag_id=3), pooling_task="token_classify")
    assert str(error.value).startswith("Task token_classify only supports ['use_activation'] parameters")


def test_unset_request_values_take_the_models_pooler_defaults(fake_llm):
    llm = fake_llm("matryoshka")
    llm.engine.settings = bert_like_settings(use_activation=False, dimensions=4)  # e.g. an ST folder without Normalize
    llm.embed("a", pooling_params=PoolingParams(use_activation=True))
    [params] = llm.engine.calls[-1][3]
    assert (params.use_activation, params.dimensions) == (True, 4)
    llm.encode("a", pooling_task="embed")
    [params] = llm.engine.calls[-1][3]
    assert (params.use_activation, params.dimensions) == (False, 4)
