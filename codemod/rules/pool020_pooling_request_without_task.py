"""POOL020: a request body posted to ``/pooling`` without ``"task"``.

vLLM 0.18 answered such a request with per-token vectors (``token_embed``); from 0.19 the server's default
task is used, so an embedding model returns one vector instead. Report only: the intended task is the
author's to name, and the server must be started with the matching ``--pooler-config.task``.
"""

import libcst as cst

from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import keyword_arg, string_value
from vllm_pooling_migrate.codemod.python.rule import PythonRule

HTTP_METHODS = {"post"}


class PoolingRequestWithoutTask(PythonRule):
    CODE = "POOL020"
    MESSAGE = (
        'this `/pooling` request has no `"task"`: since vLLM 0.19 the server\'s default task answers it '
        "(0.18 returned per-token vectors); name the task and start the server with `--pooler-config.task`"
    )

    VALID = [
        Valid('import requests\nrequests.post("http://localhost:8000/pooling", json={"model": "m", "input": x, "task": "token_embed"})\n'),
        Valid('import requests\nrequests.post("http://localhost:8000/v1/embeddings", json={"model": "m", "input": x})\n'),
    ]
    INVALID = [
        Invalid('import requests\nr = requests.post("http://localhost:8000/pooling", json={"model": "m", "input": texts})\n'),
        Invalid('import httpx\nr = httpx.post(f"{base_url}/pooling", json={"input": texts})\n'),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
        if name not in HTTP_METHODS:
            return
        url = keyword_arg(node, "url")
        url_value = url.value if url is not None else (node.args[0].value if node.args and node.args[0].keyword is None else None)
        body = keyword_arg(node, "json")
        if url_value is None or body is None or not isinstance(body.value, cst.Dict) or not _ends_with_pooling(url_value):
            return
        keys = {string_value(e.key) for e in body.value.elements if isinstance(e, cst.DictElement)}
        if "task" not in keys and all(isinstance(e, cst.DictElement) for e in body.value.elements):
            self.report(body.value)


def _ends_with_pooling(url: cst.BaseExpression) -> bool:
    if isinstance(url, cst.SimpleString):
        return (string_value(url) or "").rstrip("/").endswith("/pooling")
    if isinstance(url, cst.FormattedString):
        last = url.parts[-1] if url.parts else None
        return isinstance(last, cst.FormattedStringText) and last.value.rstrip("/").endswith("/pooling")
    if isinstance(url, cst.BinaryOperation) and isinstance(url.operator, cst.Add):
        return _ends_with_pooling(url.right)
    if isinstance(url, cst.ConcatenatedString):
        return _ends_with_pooling(url.right)
    return False
