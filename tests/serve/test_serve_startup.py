"""Start-up: an unsupported ``--pooler-config.task`` fails with vLLM's RuntimeError before any socket is bound;
the supported-tasks line; the legacy flags' warnings once the model is known (online-serving.md §1.4)."""

from __future__ import annotations

import logging
import socket

import pytest
from starlette.testclient import TestClient

from vllm_pooling_migrate.shim.deprecations import AlreadyRemovedWarning
from vllm_pooling_migrate.shim.serve import main as main_module

M60 = "The 'task' option has been deprecated and will be removed in v0.13.0 or v1.0, whichever comes first."
M61 = ("`override_pooler_config` is deprecated and will be removed in v0.12.0 or v1.0.0, whichever is sooner. "
       "Please use `pooler_config` instead.")


@pytest.fixture
def started(monkeypatch):
    """Run ``main(argv)`` up to the point where uvicorn would bind; returns (exit code, app or None)."""
    apps = []
    bound = []
    monkeypatch.setattr(main_module, "serve", lambda app, settings: apps.append(app))
    real_bind = socket.socket.bind
    monkeypatch.setattr(socket.socket, "bind", lambda self, address: (bound.append(address), real_bind(self, address)))

    def run(*argv: str):
        code = main_module.main(list(argv))
        assert bound == [], "no socket may be bound during start-up"
        return code, (apps[-1] if apps else None)

    return run


@pytest.mark.parametrize(("name", "task", "message"), [
    ("bert", "classify", "RuntimeError: Unsupported task: 'classify' Supported tasks: ('embed', 'token_embed')"),
    ("bert-ce", "embed", "RuntimeError: Unsupported task: 'embed' Supported tasks: ('classify', 'token_classify')"),
])
@pytest.mark.parametrize("release", ["0.19", "0.20", "0.21"])
def test_unsupported_pooler_task_fails_before_binding(started, capsys, model_paths, name, task, message, release):
    code, app = started(model_paths[name], "--target-version", release, "--pooler-config.task", task)
    assert (code, app) == (1, None)
    assert capsys.readouterr().err.splitlines()[-1] == message


def test_supported_tasks_logged_at_start(started, caplog, model_paths):
    with caplog.at_level(logging.INFO):
        code, app = started(model_paths["bert"], "--pooler-config.task", "token_embed")
    assert code == 0 and app is not None
    assert [r.getMessage() for r in caplog.records if r.name == "vllm.entrypoints.openai.api_server"] == [
        "Supported tasks: ('embed', 'token_embed')"]
    with TestClient(app) as client:  # the app main() would serve is a working one
        assert len(client.post("/pooling", json={"input": "the model"}).json()["data"][0]["data"]) == 4


@pytest.mark.parametrize(("name", "task", "hint"), [
    ("bert", "embed", "Please replace this option with `--convert embed` to continue using this model as a pooling model."),
    ("bert-ce", "score", "Please replace this option with `--convert classify` to continue using this model as a pooling model."),
    ("bert", "generate", "Please remove this option."),
])
def test_warn_mode_task_flag_warns_pool013_with_the_hint(started, caplog, model_paths, name, task, hint):
    with pytest.warns(AlreadyRemovedWarning) as caught:
        code, app = started(model_paths[name], "--task", task)
    assert code == 0 and app is not None
    warning = next(w.message for w in caught if getattr(w.message, "code", None) == "POOL013")
    assert warning.vllm_text == f"{M60} {hint}"
    assert "argument 'task' is deprecated" in [r.getMessage() for r in caplog.records
                                              if r.name == "vllm.utils.argparse_utils"]


def test_warn_mode_override_pooler_config_warns_pool014_and_applies(started, caplog, model_paths):
    with pytest.warns(AlreadyRemovedWarning) as caught:
        code, app = started(model_paths["bert"], "--override-pooler-config", '{"task": "token_embed"}')
    assert code == 0
    assert [w.message.vllm_text for w in caught if getattr(w.message, "code", None) == "POOL014"] == [M61]
    assert M61 in [r.getMessage() for r in caplog.records if r.name == "vllm.config.model"]
    with TestClient(app) as client:  # the override made token_embed the default task
        assert len(client.post("/pooling", json={"input": "the model"}).json()["data"][0]["data"]) == 4


@pytest.mark.parametrize("runner", ["generate", "draft"])
def test_non_pooling_runner_is_refused(started, capsys, model_paths, runner):
    code, _ = started(model_paths["bert"], "--runner", runner)
    assert code == 1
    assert capsys.readouterr().err.startswith(f"NotImplementedError: pooling shim: --runner {runner} is not served")
