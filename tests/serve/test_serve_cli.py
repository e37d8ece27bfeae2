"""The command line: vLLM's flags and parsing rules (spec §9.3), the target version, and the legacy flags per
release (warn mode translates and warns; the 0.21 preview rejects them as argparse does)."""

from __future__ import annotations

import logging
import os

import pytest

from vllm_pooling_migrate.shim import report
from vllm_pooling_migrate.shim.serve.cli.args import parse_serve_args
from vllm_pooling_migrate.shim.serve.cli.argv import human_readable_int, rewrite_argv


def usage_error(capsys, argv, fragment):
    with pytest.raises(SystemExit) as exit_info:
        parse_serve_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err, err
    return err


def test_defaults_are_vllms():
    settings = parse_serve_args(["model"])
    assert (settings.host, settings.port, settings.runner, settings.convert) == ("0.0.0.0", 8000, "auto", "auto")
    assert settings.served_model_names == ("model",) and settings.api_keys == ()
    assert settings.release.version == (0, 20)
    assert settings.max_concurrent_requests is None and settings.payload_limit is None


def test_engine_flags():
    settings = parse_serve_args(["m", "--max-model-len", "1k", "--dtype", "half", "--max-num-batched-tokens", "2K",
                                 "--max-num-seqs", "8", "--hf-overrides", '{"num_labels": 1}', "--convert", "classify",
                                 "--served-model-name", "a", "b", "--api-key", "k1", "k2", "--seed", "3",
                                 "--tensor-parallel-size", "4", "--gpu-memory-utilization", "0.9", "--enforce-eager"])
    assert settings.engine_args["max_model_len"] == 1000 and settings.engine_args["max_num_batched_tokens"] == 2048
    assert settings.engine_args["dtype"] == "float16" and settings.engine_args["hf_overrides"] == {"num_labels": 1}
    assert settings.served_model_names == ("a", "b") and settings.api_keys == ("k1", "k2")
    assert settings.convert == "classify" and settings.engine_args["seed"] == 3


@pytest.mark.parametrize(("text", "value"), [("25.6k", 25600), ("1K", 1024), ("2M", 2 * 2**20), ("512", 512)])
def test_human_readable_int(text, value):
    assert human_readable_int(text) == value


@pytest.mark.parametrize("argv", [
    ["m", "--pooler-config.task", "embed"], ["m", "--pooler-config.task=embed"], ["m", "--pooler_config.task", "embed"],
    ["m", "--pooler-config", '{"task": "embed"}'],
])
def test_pooler_config_spellings(argv):
    assert parse_serve_args(argv).pooler_config.task == "embed"


def test_dotted_values_are_json_then_strings():
    config = parse_serve_args(["m", "--pooler-config.dimensions", "8", "--pooler-config.use_activation", "false",
                               "--pooler-config.pooling_type", "MEAN"]).pooler_config
    assert (config.dimensions, config.use_activation, config.seq_pooling_type) == (8, False, "MEAN")


def test_mixing_json_and_dotted_drops_the_json_silently():
    config = parse_serve_args(["m", "--pooler-config", '{"dimensions": 8}', "--pooler-config.task", "embed"]).pooler_config
    assert config.task == "embed" and config.dimensions is None


def test_keys_after_the_dot_are_not_normalised(capsys):
    usage_error(capsys, ["m", "--pooler-config.pooling-type", "MEAN"], "Unexpected keyword argument")


def test_duplicate_dotted_keys_warn_and_the_last_wins(caplog):
    config = parse_serve_args(["m", "--pooler-config.task", "embed", "--pooler-config.task", "token_embed"]).pooler_config
    assert config.task == "token_embed"
    assert [r.getMessage() for r in caplog.records if r.name == "vllm.utils.argparse_utils"] == [
        "Found duplicate keys task"]


def test_nested_and_list_keys():
    argv = rewrite_argv(["m", "--hf-overrides.a.b", "1", "--hf-overrides.names+", "x,y"],
                        human_readable_dotted_values=False)
    assert argv == ["m", "--hf-overrides", '{"a": {"b": 1}, "names": ["x", "y"]}']


def test_human_readable_dotted_values_from_021():
    assert rewrite_argv(["--x.n", "1k"], human_readable_dotted_values=True)[-1] == '{"n": 1000}'
    assert rewrite_argv(["--x.n", "1k"], human_readable_dotted_values=False)[-1] == '{"n": "1k"}'


def test_model_option_moves_to_the_positional_slot(caplog):
    assert parse_serve_args(["--model", "path/m", "--port", "9"]).model == "path/m"
    assert "With `vllm serve`, you should provide the model as a positional argument" in caplog.text


def test_missing_model_and_dotted_value(capsys):
    usage_error(capsys, ["--port", "9"], "the following arguments are required: model_tag")
    usage_error(capsys, ["m", "--pooler-config.task"], "argument --pooler-config.task: expected one argument")


def test_target_version_flag_and_environment(monkeypatch):
    assert parse_serve_args(["m", "--target-version", "0.21"]).release.version == (0, 21)
    assert parse_serve_args(["m", "--target-version=0.19.1"]).release.version == (0, 19)
    monkeypatch.setenv("POOLING_SHIM_TARGET_VERSION", "0.18")
    assert parse_serve_args(["m"]).release.version == (0, 18)
    assert parse_serve_args(["m", "--target-version", "0.21"]).release.version == (0, 21)  # the flag wins


def test_bad_target_versions(capsys, monkeypatch):
    usage_error(capsys, ["m", "--target-version", "0.17"], "cannot emulate vLLM 0.17; known targets: 0.18, 0.19")
    monkeypatch.setenv("POOLING_SHIM_TARGET_VERSION", "banana")
    usage_error(capsys, ["m"], "POOLING_SHIM_TARGET_VERSION='banana'")


def test_pooler_config_task_per_release(capsys):
    usage_error(capsys, ["m", "--target-version", "0.18", "--pooler-config.task", "embed"],
                "argument --pooler-config: 1 validation error for PoolerConfig\ntask\n  Unexpected keyword argument")
    usage_error(capsys, ["m", "--target-version", "0.21", "--pooler-config.task", "score"],
                "task\n  Input should be 'embed', 'classify', 'token_embed', 'token_classify', 'plugin' or "
                "'embed&token_classify' [type=literal_error")
    usage_error(capsys, ["m", "--pooler-config.task", "encode"], "[type=literal_error")


@pytest.mark.parametrize(("flag", "value", "code"), [("--task", "embed", "POOL013"),
                                                       ("--override-pooler-config", '{"dimensions": 8}', "POOL014")])
def test_021_rejects_legacy_flags_as_argparse_does(capsys, flag, value, code):
    site = (code, "<vllm-pooling-serve command line>", 0)
    before = report.snapshot()[site]
    err = usage_error(capsys, ["m", "--target-version", "0.21", flag, value], "error: unrecognized arguments: ")
    assert err.rstrip().endswith(f"error: unrecognized arguments: {flag} {value}")
    assert report.snapshot()[site] == before + 1


@pytest.mark.parametrize("release", ["0.18", "0.19", "0.20"])
def test_warn_mode_translates_task_to_convert(release):
    settings = parse_serve_args(["m", "--target-version", release, "--task", "classify"])
    assert settings.convert == "classify" and settings.legacy.task == "classify"
    assert parse_serve_args(["m", "--task", "embedding"]).convert == "embed"
    assert parse_serve_args(["m", "--task", "generate"]).convert == "auto"
    assert parse_serve_args(["m", "--task", "embed", "--convert", "none"]).convert == "none"  # explicit wins


def test_warn_mode_merges_the_override_over_pooler_config():
    settings = parse_serve_args(["m", "--pooler-config", '{"task": "embed", "dimensions": 4}',
                                 "--override-pooler-config", '{"dimensions": 8}'])
    assert (settings.pooler_config.task, settings.pooler_config.dimensions) == ("embed", 8)


def test_invalid_legacy_task_value(capsys):
    usage_error(capsys, ["m", "--task", "rerank"], "argument --task: invalid choice: 'rerank'")


def test_unknown_flag(capsys):
    usage_error(capsys, ["m", "--no-such-flag"], "unrecognized arguments: --no-such-flag")
