"""POOL019: a server whose default task covers several tasks, started without ``--pooler-config.task``.

The command line shows this for bge-m3 loaded as ``BgeM3EmbeddingModel`` (spec §11 P15): its
default task is ``embed&token_classify``, so on vLLM 0.21 ``/v1/embeddings``, ``/score`` and
``LLM.embed`` fail. Other multi-task servers depend on what the clients request, so a pooling server
without a pinned task is flagged only when a Python file starts one server and its own clients ask
it for two tasks or more (``/v1/embeddings`` and ``/pooling`` with ``"task": "token_embed"``, say;
``argv.client_tasks``): whatever the model's default, all but one of them fail on 0.21. Report only:
one server per task is the fix, at a memory cost.
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

    VALID += [
        Valid(  # the clients ask for one task; a refusal the test expects is not a need
            'import requests\nfrom tests.utils import RemoteOpenAIServer\n\nargs = ["--runner", "pooling"]\n'
            'server = RemoteOpenAIServer("intfloat/e5-small", args)\n'
            'requests.post(server.url_for("v1/embeddings"), json={"input": "a"})\n\n'
            'def test_refused():\n    r = requests.post(server.url_for("pooling"), json={"input": "a", "task": "token_embed"})\n'
            '    assert r.status_code == 400\n',
            path="test_e5.py",
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
        Invalid(  # one server, and clients in the same file that need two tasks of it
            'import requests\nfrom tests.utils import RemoteOpenAIServer\n\nargs = ["--runner", "pooling"]\n'
            'server = RemoteOpenAIServer("intfloat/e5-small", args)\n'
            'requests.post(server.url_for("v1/embeddings"), json={"input": "a"})\n'
            'requests.post(server.url_for("pooling"), json={"input": "a", "task": "token_embed"})\n',
            line=4,
            path="test_e5.py",
        ),
        Invalid(
            f'{VLLM_CONTAINER}    args: ["--model", "BAAI/bge-m3", "--hf-overrides", "{{\\"architectures\\": [\\"BgeM3EmbeddingModel\\"]}}"]\n',
            line=4,
            path="k8s.yaml",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        if any(_pins_task(f) for f in scan.flags):
            return
        override = next((f for f in scan.flags if f.is_("hf-overrides") and multi_task(f.json_text)), None)
        if override is None:
            yield from self._clients_need_several_tasks(scan)
            return
        message = (
            "bge-m3 as `BgeM3EmbeddingModel` defaults to the `embed&token_classify` task, which vLLM 0.21 serves "
            "only through `/pooling`: start one server per task with "
            + scan.show("--pooler-config.task", "embed|token_classify|token_embed")
        )
        reason = "which tasks the clients need is not visible here: pick them, one server each"
        yield scan.finding(self.CODE, message, override, reason=reason)

    def _clients_need_several_tasks(self, scan: ArgvScan) -> Iterator[Finding]:
        """The one server a Python file starts, asked by the file's own clients for more than one task."""
        clients = scan.clients
        if clients is None or len(clients.tasks) < 2 or not scan.flags or scan.has_flag("task"):
            return
        message = (
            f"this server is started without a task and this file's clients request {clients.described()}: "
            "from vLLM 0.21 a pooling server serves one task, so all but one of them fail; start one server per "
            "task with " + scan.show("--pooler-config.task", "<task>")
        )
        yield scan.finding(self.CODE, message, scan.flags[0], reason="splitting the server is a change by hand")


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
