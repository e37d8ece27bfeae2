"""The instance tracker follows pytest fixtures into the tests that request them, and reads ``Optional[LLM]``-style
annotations; POOL026 reports engine-level ``encode`` without a task. One case per behaviour (the fixture pairs in
``fixtures/pytest_fixtures``, ``annotated_params``, ``model_families`` and ``engine_level`` cover whole files)."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options

HEADER = "import weakref\n\nimport pytest\nfrom vllm import LLM\n\n"
FIXTURE = ('@pytest.fixture(scope="module")\ndef llm():\n    engine = LLM("my-org/encoder")\n'
           "    yield weakref.proxy(engine)\n\n")
TWO_TASKS = ('def test_a(llm):\n    llm.embed(["a"])\n\n'
             'def test_b(llm: LLM):\n    llm.encode(["a"], pooling_task="token_embed")\n')


def codes(source: str, path: str = "test_x.py", options: Options | None = None) -> list[str]:
    result = check_python_source(source, path, options or Options())
    assert result.error is None
    return [f.code for f in result.findings]


def test_a_fixture_used_for_two_tasks_is_one_multi_task_engine():
    assert codes(HEADER + FIXTURE + TWO_TASKS) == ["POOL004"]


def test_tests_defined_before_their_fixture_are_followed_too():
    assert codes(HEADER + TWO_TASKS + "\n" + FIXTURE) == ["POOL004"]


def test_without_the_fixture_nothing_is_invented():
    assert codes(HEADER + TWO_TASKS) == []


@pytest.mark.parametrize(
    "decorator",
    ["@pytest.fixture", "@pytest.fixture()", '@pytest.fixture(scope="session")', "@pytest_asyncio.fixture",
     "@fixture"],
)
def test_fixture_decorator_forms(decorator):
    source = ("import pytest\nimport pytest_asyncio\nfrom pytest import fixture\nfrom vllm import LLM\n\n"
              f"{decorator}\ndef llm():\n    return LLM('m')\n\n" + TWO_TASKS)
    assert codes(source) == ["POOL004"]


def test_an_undecorated_function_is_no_fixture():
    source = HEADER + "def llm():\n    return LLM('m')\n\n" + TWO_TASKS
    assert codes(source) == []


def test_a_conftest_fixture_serves_other_files_so_its_single_task_is_not_pinned():
    source = HEADER + FIXTURE + 'def test_b(llm):\n    llm.encode(["a"], pooling_task="token_embed")\n'
    in_test = check_python_source(source, "tests/test_x.py", Options(fix=True))
    in_conftest = check_python_source(source, "tests/conftest.py", Options(fix=True))
    assert [f.code for f in in_test.findings] == [f.code for f in in_conftest.findings] == ["POOL005"]
    assert in_test.fixed_source is not None and 'PoolerConfig(task="token_embed")' in in_test.fixed_source
    assert in_conftest.fixed_source is None
    assert "line 7" in (in_conftest.findings[0].unfixable_reason or "")  # the fixture's def


def test_getfixturevalue_hands_the_instance_out():
    source = (HEADER + FIXTURE + 'def test_b(llm):\n    llm.encode(["a"], pooling_task="token_embed")\n\n'
              'def test_c(request):\n    request.getfixturevalue("llm").embed(["a"])\n')
    result = check_python_source(source, "test_x.py", Options(fix=True))
    assert [f.code for f in result.findings] == ["POOL005"]
    assert result.fixed_source is None


def test_a_class_fixture_comes_before_the_module_fixture_of_the_same_name():
    source = (HEADER + FIXTURE + "class TestTokens:\n    @pytest.fixture\n    def llm(self):\n"
              "        return LLM('t')\n\n"
              '    def test_t(self, llm):\n        llm.encode(["a"], pooling_task="token_embed")\n\n'
              'def test_s(llm):\n    llm.embed(["a"])\n')
    # the class's engine is used only for token_embed, the module's only for embed: no engine serves two tasks
    assert codes(source) == ["POOL005"]


def test_a_fixture_defined_twice_is_not_followed():
    source = HEADER + FIXTURE + FIXTURE + TWO_TASKS
    assert codes(source) == []


def test_a_fixture_overriding_its_namesake_does_not_receive_itself():
    source = HEADER + ('@pytest.fixture\ndef llm(llm):\n    llm.encode(["a"], pooling_task="token_embed")\n'
                       '    return LLM("m")\n\n' + 'def test_a(llm):\n    llm.embed(["a"])\n')
    assert codes(source) == []


def test_parametrize_with_names_that_are_not_literal_makes_parameters_unknown():
    source = HEADER + FIXTURE + ("def test_a(llm):\n    llm.embed(['a'])\n\n"
                                 "@pytest.mark.parametrize(NAMES, VALUES)\ndef test_b(llm):\n"
                                 "    llm.encode(['a'], pooling_task='token_embed')\n")
    assert codes(source) == []


def test_methods_of_classes_pytest_does_not_collect_are_not_tests():
    source = HEADER + FIXTURE + ("def test_a(llm):\n    llm.embed(['a'])\n\nclass Helper:\n"
                                 "    def test_b(self, llm):\n        llm.encode(['a'], pooling_task='token_embed')\n")
    assert codes(source) == []


def test_a_fixture_built_from_another_fixture_is_followed_through_the_parameter():
    source = HEADER + ('@pytest.fixture\ndef model_name():\n    return "m"\n\n'
                       "@pytest.fixture\ndef llm(model_name):\n    return LLM(model_name)\n\n" + TWO_TASKS)
    assert codes(source) == ["POOL004"]


def test_calls_inside_pytest_raises_are_meant_to_fail():
    source = HEADER + ("from vllm.config import PoolerConfig\n\n@pytest.fixture\ndef llm():\n"
                       "    return LLM('m', pooler_config=PoolerConfig(task='token_classify'))\n\n"
                       "def test_a(llm):\n    llm.encode(['a'], pooling_task='token_classify')\n"
                       "    with pytest.raises(ValueError):\n        llm.embed(['a'])\n"
                       "    with pytest.raises(ValueError):\n        llm.score('a', 'b')\n")
    assert codes(source) == []
    outside = source.replace("    with pytest.raises(ValueError):\n        llm.score", "    llm.score")
    assert codes(outside) == ["POOL008"]


# --- annotations -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "annotation",
    ["LLM", "Optional[LLM]", "typing.Optional[LLM]", "LLM | None", "None | LLM", "Union[LLM, None]", '"LLM"',
     '"Optional[LLM]"', 'Optional["LLM"]', '"vllm.LLM | None"', "vllm.LLM"],
)
def test_annotations_that_say_llm(annotation):
    source = (f"import typing\nfrom typing import Optional, Union\nimport vllm\nfrom vllm import LLM\n\n"
              f"def f(llm: {annotation}, x):\n    return llm.encode(x)\n")
    assert codes(source, "x.py") == ["POOL006"]


@pytest.mark.parametrize("annotation", ["LLM | str", "Union[LLM, str]", '"Tokenizer"', "Optional[Tokenizer]",
                                        "list[LLM]", '"not valid python ("'])
def test_annotations_that_do_not(annotation):
    source = (f"from typing import Optional, Union\nfrom transformers import Tokenizer\nfrom vllm import LLM\n\n"
              f"def f(llm: {annotation}, x):\n    return llm.encode(x)\n")
    assert codes(source, "x.py") == []


def test_an_annotated_parameter_gives_no_construction_to_pin():
    source = ("from typing import Optional\nfrom vllm import LLM\n\n"
              "def f(llm: Optional[LLM], x):\n    return llm.encode(x, pooling_task='token_embed')\n")
    assert codes(source, "x.py") == []  # POOL005 needs the construction (model, config): unknown here


# --- POOL026 ---------------------------------------------------------------------------------------------------

ENGINE = "from vllm import AsyncLLMEngine, LLMEngine, PoolingParams\nfrom vllm.engine.protocol import EngineClient\n"


@pytest.mark.parametrize(
    "source",
    [
        "engine = AsyncLLMEngine.from_engine_args(a)\nengine.encode(p, PoolingParams(), 'r')\n",
        "engine = AsyncLLMEngine(a)\nengine.encode(p, pooling_params=PoolingParams(task=None), request_id='r')\n",
        "engine = LLMEngine.from_vllm_config(c)\nengine.add_request('r', p, PoolingParams())\n",
        "async def f(client: EngineClient, p):\n    return client.encode(p, PoolingParams(), 'r')\n",
        "def f(a, p):\n    params = PoolingParams(dimensions=8)\n    engine = AsyncLLMEngine.from_engine_args(a)\n"
        "    return engine.encode(p, params, 'r')\n",
    ],
)
def test_engine_encode_without_task(source):
    assert codes(ENGINE + source, "x.py") == ["POOL026"]


@pytest.mark.parametrize(
    "source",
    [
        "engine = AsyncLLMEngine.from_engine_args(a)\nengine.encode(p, PoolingParams(task='embed'), 'r')\n",
        "engine = AsyncLLMEngine.from_engine_args(a)\nengine.encode(p, PoolingParams(**kw), 'r')\n",
        "engine = AsyncLLMEngine.from_engine_args(a)\nengine.encode(p, *rest)\n",
        "engine = AsyncLLMEngine.from_engine_args(a)\nparams = PoolingParams()\nconfigure(params)\n"
        "engine.encode(p, params, 'r')\n",
        "engine = AsyncLLMEngine.from_engine_args(a)\nparams = PoolingParams()\nparams = PoolingParams(task='embed')\n"
        "engine.encode(p, params, 'r')\n",
        "engine = AsyncLLMEngine.from_engine_args(a)\nif flag:\n    engine = Other()\n"
        "engine.encode(p, PoolingParams(), 'r')\n",
        "engine = make_engine()\nengine.encode(p, PoolingParams(), 'r')\n",
        "def f(engine, p):\n    return engine.encode(p, PoolingParams(), 'r')\n",
    ],
)
def test_engine_lookalikes(source):
    assert codes(ENGINE + source, "x.py") == []


def test_engine_rule_is_selected_by_default_and_gated_at_its_release():
    source = ENGINE + "engine = AsyncLLMEngine.from_engine_args(a)\nengine.encode(p, PoolingParams(), 'r')\n"
    assert codes(source, "x.py", Options(target_version=(0, 21))) == ["POOL026"]
    assert codes(source, "x.py", Options(target_version=(0, 11))) == []


# --- calls the tracker sees whole (analysis.call_flow) --------------------------------------------------------

FLOW = "from typing import Any, Optional\nfrom vllm import LLM\n\n"
HELPER = "def helper(model, texts):\n    return model.encode(texts)\n\n"


@pytest.mark.parametrize(
    "callers",
    [
        'helper(LLM("m"), ["a"])\n',
        'llm = LLM("m")\nhelper(llm, ["a"])\nhelper(model=llm, texts=["b"])\n',
        'def build() -> LLM:\n    return make()\n\nhelper(build(), ["a"])\n',
        'def both() -> tuple[LLM, Any]:\n    return make()\n\nm, _ = both()\nhelper(m, ["a"])\n',
        'def outer(model: Optional[LLM]):\n    helper(model, ["a"])\n',
    ],
)
def test_a_parameter_every_call_fills_with_an_llm_is_an_llm(callers):
    assert codes(FLOW + HELPER + callers, "x.py") == ["POOL006"]


@pytest.mark.parametrize(
    "callers",
    [
        "",  # never called here
        'helper(LLM("m"), ["a"])\nhelper(tokenizer, ["a"])\n',
        'helper(LLM("m"), ["a"])\nregister(helper)\n',
        'helper(*args)\nhelper(LLM("m"), ["a"])\n',
        'helper(texts=["a"])\n',
        'def both() -> tuple[Any, LLM]:\n    return make()\n\nm, _ = both()\nhelper(m, ["a"])\n',
        'def both() -> tuple[LLM, ...]:\n    return make()\n\nm, _ = both()\nhelper(m, ["a"])\n',
        'if flag:\n    m, _ = both()\n    helper(m, ["a"])\n\ndef both() -> tuple[LLM, Any]:\n    return make()\n',
    ],
)
def test_a_parameter_some_call_may_fill_otherwise_is_not(callers):
    assert codes(FLOW + HELPER + callers, "x.py") == []


def test_a_parameter_known_from_its_calls_gives_no_construction_to_pin():
    source = FLOW + ('def helper(model, texts):\n    return model.encode(texts, pooling_task="token_embed")\n\n'
                     'helper(LLM("m"), ["a"])\n')
    assert codes(source, "x.py") == []


@pytest.mark.parametrize("marks", ['pytestmark = pytest.mark.parametrize("llm", [1])\n',
                                   'pytestmark = [pytest.mark.slow, pytest.mark.parametrize("llm,x", [(1, 2)])]\n',
                                   "pytestmark = pytest.mark.parametrize(NAMES, VALUES)\n"])
def test_module_marks_that_parametrize_the_name_replace_the_fixture(marks):
    assert codes(HEADER + marks + FIXTURE + TWO_TASKS) == []
    assert codes(HEADER + 'pytestmark = pytest.mark.parametrize("other", [1])\n' + FIXTURE + TWO_TASKS) == ["POOL004"]
