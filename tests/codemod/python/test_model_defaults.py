"""POOL005 reports a single-task engine only where the task can differ from the model's default; the rest is the
opt-in POOL022's. What is known about the model: its family, a local folder's config.json, hf_overrides."""

from __future__ import annotations

import json

import pytest

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options

DEFAULT = Options()
WITH_OPT_IN = Options(select=("POOL", "POOL022", "POOL023"))


def codes(source: str, path: str = "x.py", options: Options = DEFAULT) -> list[str]:
    result = check_python_source("from vllm import LLM\n" + source, path, options)
    assert result.error is None
    return [f.code for f in result.findings]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('llm = LLM("intfloat/e5-small")\nllm.embed(["a"])\n', []),
        ('llm = LLM("intfloat/e5-small")\nllm.encode(["a"], pooling_task="token_embed")\n', ["POOL005"]),
        ('llm = LLM("my-org/sentiment")\nllm.classify(["a"])\n', []),
        ('llm = LLM(model)\nllm.reward(["a"])\n', ["POOL005", "POOL009"]),  # token_classify: not a usual default
        ('llm = LLM("Qwen/Qwen2.5-Math-PRM-7B")\nllm.encode(x, pooling_task="token_classify")\n', []),
        ('llm = LLM("Qwen/Qwen2.5-Math-PRM-7B")\nllm.classify(x)\n', ["POOL005"]),
        ('llm = LLM("vidore/colpali-v1.3")\nllm.embed(x)\n', ["POOL005"]),
        ('llm = LLM("jinaai/jina-colbert-v2")\nllm.encode(x, pooling_task="token_embed")\n', []),
        ('llm = LLM("BAAI/bge-m3")\nllm.embed(x)\n', []),
        ('llm = LLM("BAAI/bge-m3", hf_overrides={"architectures": ["BgeM3EmbeddingModel"]})\nllm.embed(x)\n', ["POOL005"]),
        ('llm = LLM("m", hf_overrides=overrides)\nllm.embed(x)\n', []),  # read from elsewhere: not seen to change it
        ('OVERRIDES = {"architectures": ["BgeM3EmbeddingModel"]}\nllm = LLM("BAAI/bge-m3", hf_overrides=OVERRIDES)\n'
         'llm.embed(x)\n', ["POOL005"]),
        ('llm = LLM("m", hf_overrides={"architectures": ["Qwen2ForSequenceClassification"]})\nllm.classify(x)\n', []),
        ('MODEL = "BAAI/bge-m3"\nllm = LLM(model=MODEL)\nllm.encode(x, pooling_task="token_embed")\n', ["POOL005"]),
        ('llm = LLM("m")\nllm.encode(x, pooling_task="plugin")\n', []),
    ],
)
def test_default_selection_reports_only_what_can_differ(source, expected):
    assert codes(source) == expected


def test_the_opt_in_rule_takes_the_rest_and_nothing_is_reported_twice():
    assert codes('llm = LLM("intfloat/e5-small")\nllm.embed(["a"])\n', options=WITH_OPT_IN) == ["POOL022"]
    assert codes('llm = LLM("m")\nllm.encode(["a"], pooling_task="token_embed")\n', options=WITH_OPT_IN) == ["POOL005"]
    assert codes('llm = LLM("BAAI/bge-reranker-base")\nllm.score(q, d)\n', options=WITH_OPT_IN) == ["POOL023"]
    assert codes('llm = LLM("BAAI/bge-reranker-base")\nllm.score(q, d)\n') == []


def test_opt_in_rules_need_their_code_or_all():
    assert Options().enabled("POOL005") and not Options().enabled("POOL022")
    assert not Options(select=("POOL02",)).enabled("POOL022")
    assert Options(select=("POOL022",)).enabled("POOL022")
    assert Options(select=("ALL",)).enabled("POOL023")
    assert not Options(select=("POOL022",), ignore=("POOL022",)).enabled("POOL022")


def _model_folder(tmp_path, architecture: str) -> None:
    folder = tmp_path / "models" / "tagger"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"architectures": [architecture], "num_labels": 9}))


def test_a_local_model_folders_config_gives_the_default(tmp_path):
    _model_folder(tmp_path, "BertForTokenClassification")
    script = str(tmp_path / "tag.py")
    assert codes('llm = LLM("models/tagger")\nllm.classify(["a"])\n', script) == ["POOL005"]
    assert codes('llm = LLM("models/tagger")\nllm.encode(["a"], pooling_task="token_classify")\n', script) == []
    result = check_python_source('from vllm import LLM\nllm = LLM("models/tagger")\nllm.classify(["a"])\n', script, DEFAULT)
    assert "`token_classify` (its `config.json` says `BertForTokenClassification`)" in result.findings[0].message


def test_a_local_classifier_is_its_own_default(tmp_path):
    _model_folder(tmp_path, "BertForSequenceClassification")
    script = str(tmp_path / "tag.py")
    assert codes('llm = LLM("models/tagger")\nllm.classify(["a"])\n', script) == []
    assert codes('llm = LLM("models/tagger")\nllm.score(q, d)\n', script) == []


def test_score_on_a_token_classifier_fails_on_the_target(tmp_path):
    _model_folder(tmp_path, "BertForTokenClassification")
    assert codes('llm = LLM("models/tagger")\nllm.score(q, d)\n', str(tmp_path / "s.py")) == ["POOL008"]


def test_the_message_names_score_uses_instead_of_saying_only():
    result = check_python_source(
        'from vllm import LLM\nllm = LLM("m")\nllm.encode(q, pooling_task="token_embed")\nllm.score(q, d)\n', "x.py", DEFAULT
    )
    [finding] = [f for f in result.findings if f.code == "POOL005"]
    assert "only" not in finding.message and "and for `score()` (line 4)" in finding.message
