"""POOL004: one ``LLM`` used for several pooling tasks (vLLM 0.19 warns, 0.21 raises). Report only:
splitting it into one engine per task doubles the memory, which is a design decision."""

from vllm_pooling_migrate.codemod.analysis.tasks import construction_config, lines_of, summarize
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.rule import PythonRule


class MultiTaskEngine(PythonRule):
    CODE = "POOL004"
    MESSAGE = "one `LLM` serves several pooling tasks: from vLLM 0.21 each task needs its own engine"

    VALID = [
        Valid('from vllm import LLM\nllm = LLM("m")\nllm.embed(a)\nllm.embed(b)\n'),
        Valid('from vllm import LLM\na = LLM("m")\nb = LLM("m")\na.embed(x)\nb.classify(x)\n'),
    ]
    INVALID = [
        Invalid(
            'from vllm import LLM\nm3 = LLM(model="BAAI/bge-m3", runner="pooling")\ndense = m3.embed(passages)\n'
            'colbert = m3.encode(passages, pooling_task="token_embed")\n'
        ),
        Invalid(
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="embed"))\n'
            'llm.encode(x, pooling_task="token_embed")\n'
        ),
        Invalid(  # a pytest fixture's instance, used by two tests
            'import pytest\nfrom vllm import LLM\n\n@pytest.fixture(scope="module")\ndef llm():\n'
            '    return LLM("intfloat/e5-small-v2")\n\ndef test_vectors(llm: LLM):\n    assert llm.embed(["a"])\n\n'
            'def test_token_vectors(llm):\n    assert llm.encode(["a"], pooling_task="token_embed")\n'
        ),
    ]

    def finish(self) -> None:
        position = self.context.position
        for construction in self.context.tracker.constructions:
            summary = summarize(construction, self.symbol)
            name = construction.display_name
            configured = construction_config(construction, self.symbol).explicit_task
            if configured:
                for task, uses in summary.by_task.items():
                    if task != configured:
                        for use in uses:
                            self.report(
                                use.call,
                                f'`{name}` is configured for `{configured}` but this call requests `{task}`: vLLM 0.21 '
                                f'raises "Try switching the model\'s pooling_task via `PoolerConfig(task="{task}")`"; '
                                "use a second engine for it",
                            )
                continue
            if len(summary.tasks) < 2:
                continue
            detail = "; ".join(f"`{t}` (line {lines_of(u, position)})" for t, u in summary.by_task.items())
            self.report(
                construction.call,
                f"`{name}` serves several pooling tasks: {detail}. From vLLM 0.21 an engine serves only its "
                f"configured task: build one `LLM(..., pooler_config=PoolerConfig(task=T))` per task (each loads "
                "its own weights, roughly doubling memory), or keep only the task you need",
            )
