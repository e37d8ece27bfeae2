"""POOL019: a server whose default task covers several tasks, started without ``--pooler-config.task``.

The command line shows this for bge-m3 loaded as ``BgeM3EmbeddingModel`` (spec §11 P15): its
default task is ``embed&token_classify``, so on vLLM 0.21 ``/v1/embeddings``, ``/score`` and
``LLM.embed`` fail. Other multi-task servers depend on what the clients request (POOL020 looks at
the clients), so a pooling server without a pinned task is not flagged on its own: most serve
only their default task. Report only: one server per task is the fix, at a memory cost.
"""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.flags import Flag
from vllm_pooling_migrate.codemod.argv.json_object import json_object
from vllm_pooling_migrate.codemod.argv.rule import VLLM_CONTAINER, CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding


class ServerWithoutTask(CommandLineRule):
    CODE = "POOL019"
    MESSAGE = (
        "bge-m3 as `BgeM3EmbeddingModel` defaults to the `embed&token_classify` task, which vLLM 0.21 serves "
        "only through `/pooling`: start one server per task with `--pooler-config.task embed|token_classify|token_embed`"
    )
    VALID = [
        Valid(
            'vllm serve BAAI/bge-m3 --hf-overrides \'{"architectures": ["BgeM3EmbeddingModel"]}\' '
            "--pooler-config.task token_classify"
        ),
        Valid(
            'vllm serve BAAI/bge-m3 --hf-overrides \'{"architectures": ["BgeM3EmbeddingModel"]}\' '
            '--pooler-config \'{"task": "embed"}\''
        ),
        Valid("vllm serve BAAI/bge-m3 --runner pooling"),
        Valid('vllm serve BAAI/bge-m3 --hf-overrides \'{"architectures": ["BgeM3EmbeddingModel"]}\'', target="0.18"),
        Valid(
            "model: BAAI/bge-m3\nhf-overrides:\n  architectures: [BgeM3EmbeddingModel]\npooler-config.task: embed\n",
            path="config.yaml",
        ),
        Valid(
            f'{VLLM_CONTAINER}    args: ["--model", "BAAI/bge-m3", "--hf-overrides", "{{\\"architectures\\": [\\"BgeM3EmbeddingModel\\"]}}",'
            ' "--pooler-config.task", "token_classify"]\n',
            path="k8s.yaml",
        ),
    ]

    INVALID = [
        Invalid('vllm serve BAAI/bge-m3 --hf-overrides \'{"architectures": ["BgeM3EmbeddingModel"]}\''),
        Invalid(
            "docker run vllm/vllm-openai --model BAAI/bge-m3 \\\n"
            '  --hf_overrides=\'{"architectures":["BgeM3EmbeddingModel"]}\' --port 8000\n',
            line=2,
        ),
        Invalid(  # a test server's arguments: the override names vLLM's own class, so the list is vLLM's
            'from tests.utils import RemoteOpenAIServer\n\n'
            'args = ["--max-model-len", "512", "--hf-overrides", \'{"architectures": ["BgeM3EmbeddingModel"]}\']\n'
            'server = RemoteOpenAIServer("BAAI/bge-m3", args)\n'
            'sparse = server.post("/pooling", json={"input": "x", "task": "token_classify"})\n',
            line=3,
            path="test_bge_m3.py",
        ),
        Invalid("model: BAAI/bge-m3\nhf-overrides:\n  architectures: [BgeM3EmbeddingModel]\n", line=2, path="config.yaml"),
        Invalid(
            f'{VLLM_CONTAINER}    args: ["--model", "BAAI/bge-m3", "--hf-overrides", "{{\\"architectures\\": [\\"BgeM3EmbeddingModel\\"]}}"]\n',
            line=4,
            path="k8s.yaml",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        override = next((f for f in scan.flags if f.is_("hf-overrides") and multi_task(f.json_text)), None)
        if override is None or any(_pins_task(f) for f in scan.flags):
            return
        message = (
            "bge-m3 as `BgeM3EmbeddingModel` defaults to the `embed&token_classify` task, which vLLM 0.21 serves "
            "only through `/pooling`: start one server per task with "
            + scan.show("--pooler-config.task", "embed|token_classify|token_embed")
        )
        reason = "which tasks the clients need is not visible here: pick them, one server each"
        yield scan.finding(self.CODE, message, override, reason=reason)


MULTI_TASK_ARCHITECTURES = frozenset({"BgeM3EmbeddingModel"})


def multi_task(overrides: str | None) -> bool:
    """``--hf-overrides`` JSON naming a multi-task architecture."""
    value = json_object(overrides)
    architectures = value.get("architectures") if value is not None else None
    return isinstance(architectures, list) and bool(MULTI_TASK_ARCHITECTURES & set(map(str, architectures)))


def _pins_task(flag: Flag) -> bool:
    if flag.name != "pooler-config":
        return False
    if flag.key is not None:
        return flag.key == "task"
    value = json_object(flag.json_text)
    return value is not None and "task" in value
