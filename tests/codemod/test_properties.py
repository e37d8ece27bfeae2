"""Properties over generated programs: fixing parses, is idempotent and never leaves a name unbound;
look-alike code from other libraries never produces a finding."""

import libcst as cst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vllm_pooling_migrate.codemod.engine import check_python_source, unbound_names
from vllm_pooling_migrate.codemod.options import Options

IMPORTS = [
    ("from vllm import LLM\n", "LLM"),
    ("import vllm\n", "vllm.LLM"),
    ("import vllm as v\n", "v.LLM"),
    ("from vllm import LLM as Engine\n", "Engine"),
    ("from vllm.entrypoints.llm import LLM\n", "LLM"),
]
CONFIG_IMPORTS = ["", "from vllm.config import PoolerConfig\n", "from vllm.config import PoolerConfig as PC\n", "from vllm import PoolingParams\n"]
CONSTRUCTOR_ARGS = [
    '"m"',
    "'m'",
    'model="m", runner="pooling"',
    '"m", task="embed"',
    '"m", override_pooler_config={"pooling_type": "MEAN"}',
    '\n    "m",  # comment\n    trust_remote_code=True,\n',
    '"m", **kwargs',
]
USES = [
    "{r}.embed(texts)",
    "{r}.classify(texts)",
    "{r}.reward(texts)",
    '{r}.encode(texts, pooling_task="token_embed")',
    "{r}.encode(texts, pooling_task='token_classify')",
    "{r}.encode(texts)",
    "{r}.score(q, docs)",
    "{r}.generate(prompts)",
    "send({r})",
]


@st.composite
def programs(draw):
    header, llm = draw(st.sampled_from(IMPORTS))
    extra = draw(st.sampled_from(CONFIG_IMPORTS))
    args = draw(st.sampled_from(CONSTRUCTOR_ARGS))
    uses = draw(st.lists(st.sampled_from(USES), min_size=0, max_size=3))
    shape = draw(st.sampled_from(["module", "function", "class", "factory"]))
    body_uses = "\n".join(u.format(r="llm") for u in uses)
    if shape == "module":
        body = f"llm = {llm}({args})\n{body_uses}\n"
    elif shape == "function":
        inner = "\n".join("    " + u.format(r="llm") for u in uses) or "    pass"
        body = f"def main(texts, q, docs, prompts, kwargs):\n    llm = {llm}({args})\n{inner}\n"
    elif shape == "class":
        inner = "\n".join("        " + u.format(r="self.llm") for u in uses) or "        pass"
        body = f"class S:\n    def __init__(self, kwargs):\n        self.llm = {llm}({args})\n\n    def run(self, texts, q, docs, prompts):\n{inner}\n"
    else:
        inner = "\n".join("    " + u.format(r="llm") for u in uses) or "    pass"
        body = f"def build(kwargs):\n    return {llm}({args})\n\ndef main(texts, q, docs, prompts):\n    llm = build({{}})\n{inner}\n"
    return header + extra + "\n" + body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.booleans())
def test_fixing_parses_is_idempotent_and_binds_every_name(source, unsafe):
    options = Options(fix=True, unsafe_fixes=unsafe)
    first = check_python_source(source, "gen.py", options)
    assert first.error is None
    fixed = first.fixed_source or source
    module = cst.parse_module(fixed)  # every output parses
    assert unbound_names(module) <= unbound_names(cst.parse_module(source))
    second = check_python_source(fixed, "gen.py", options)
    assert second.fixed_source is None, f"not idempotent:\n{fixed}\n---\n{second.fixed_source}"


LOOKALIKES = [
    "from sentence_transformers import SentenceTransformer\nm = SentenceTransformer('x')\nm.encode(['a'], normalize_embeddings=True)\n",
    "from transformers import AutoTokenizer\nt = AutoTokenizer.from_pretrained('x')\nt.encode('a')\n",
    "class LLM:\n    def embed(self, x): ...\nllm = LLM()\nllm.embed(1)\nllm.encode(2)\nllm.reward(3)\n",
    "from langchain_community.llms import VLLM\nllm = VLLM(model='m')\nllm.invoke('x')\n",
    "from openai import OpenAI\nc = OpenAI(base_url='http://localhost:8000/v1')\nc.embeddings.create(model='m', input=['x'])\n",
    "import gymnasium as gym\nenv = gym.make('x')\nenv.reward(1)\n",
    "from mylib import PoolerConfig, PoolingParams\nPoolerConfig(normalize=True, pooling_task='x')\nPoolingParams(task='score')\n",
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(LOOKALIKES), st.sampled_from(["", "# uses vllm elsewhere\n", "import vllm\n"]))
def test_lookalikes_from_other_libraries_are_never_flagged(source, prefix):
    result = check_python_source(prefix + source, "other.py", Options(fix=True, unsafe_fixes=True))
    assert result.findings == []
    assert result.fixed_source is None
