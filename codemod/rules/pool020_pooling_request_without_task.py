"""POOL020: a request body posted to ``/pooling`` without ``"task"``.

vLLM 0.18 answered such a request with per-token vectors (``token_embed``); from 0.19 the server's default
task is used, so an embedding model returns one vector instead. Report only: the intended task is the
author's to name, and the server must be started with the matching ``--pooler-config.task``.

:class:`HttpRequests` finds what a client posts where: the body written inline, held in a variable, returned by a
helper function, or passed into a helper that posts it (``post_http_request(prompt, api_url)``, as vLLM's own
client examples do); a variable bound twice gives each post the body bound last before it. POOL024 reads it too.

Not reported: a body with ``"data"`` (an IO-processor plugin request, whose task is always ``plugin``), and a body
that may gain keys after it is built (``**spread``, ``body["task"] = ...``, ``body.update(...)``).
"""

from __future__ import annotations

from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.http_requests import HttpRequests, HttpRequestsFeed
from vllm_pooling_migrate.codemod.python.rule import PythonRule

#: A body with this key is an IO-processor request (``IOProcessorRequest``): its task is always ``plugin``.
PLUGIN_KEY = "data"


class PoolingRequestWithoutTask(HttpRequestsFeed, PythonRule):
    CODE = "POOL020"
    MESSAGE = (
        'this `/pooling` request has no `"task"`: since vLLM 0.19 the server\'s default task answers it '
        "(0.18 returned per-token vectors); name the task and start the server with `--pooler-config.task`"
    )

    VALID = [
        Valid('import requests\nrequests.post("http://localhost:8000/pooling", json={"model": "m", "input": x, "task": "token_embed"})\n'),
        Valid('import requests\nrequests.post("http://localhost:8000/v1/embeddings", json={"model": "m", "input": x})\n'),
        Valid(  # the body names its task, wherever it is built
            'import requests\n\ndef body(texts):\n    return {"input": texts, "task": "token_embed"}\n\n'
            'requests.post("http://localhost:8000/pooling", json=body(["a"]))\n'
        ),
        Valid(  # an IO-processor plugin request: its task is always `plugin`
            'import requests\npayload = {"model": "m", "data": {"data": url, "data_format": "url"}, "priority": 0}\n'
            'requests.post("http://localhost:8000/pooling", json=payload)\n'
        ),
        Valid(  # rebound to a body with its task before the post
            'import requests\nbody = {"input": texts}\nbody = {"input": texts, "task": "embed"}\n'
            'requests.post("http://localhost:8000/pooling", json=body)\n'
        ),
        Valid(  # a dict(...) body naming its task; one built from a mapping may hold any key
            'import requests\nrequests.post("http://localhost:8000/pooling", json=dict(input=texts, task="token_embed"))\n'
            'requests.post("http://localhost:8000/pooling", json=dict(base, input=texts))\n'
        ),
        Valid(  # the task is added after the body is built
            'import requests\nbody = {"input": texts}\nbody["task"] = "token_embed"\n'
            'requests.post("http://localhost:8000/pooling", json=body)\n'
        ),
    ]
    INVALID = [
        Invalid('import requests\nr = requests.post("http://localhost:8000/pooling", json={"model": "m", "input": texts})\n'),
        Invalid('import httpx\nr = httpx.post(f"{base_url}/pooling", json={"input": texts})\n'),
        Invalid(  # a body in a variable, the URL too
            'import requests\nurl = f"http://{host}:8000/pooling"\npayload = {"model": "m", "input": texts}\n'
            "r = requests.post(url, json=payload)\n"
        ),
        Invalid(  # vLLM's own client examples: a helper posts what its callers build
            "import requests\n\ndef post_http_request(prompt: dict, api_url: str) -> requests.Response:\n"
            '    return requests.post(api_url, headers={"User-Agent": "Test Client"}, json=prompt)\n\n'
            'def main(host, port):\n    api_url = f"http://{host}:{port}/pooling"\n'
            '    prompt = {"model": "m", "input": "vLLM is great!"}\n'
            "    return post_http_request(prompt=prompt, api_url=api_url)\n"
        ),
        Invalid(  # aiohttp, with the body from a helper
            "import aiohttp\n\ndef make_body(texts):\n    return {\"input\": texts}\n\n"
            "async def run(session: aiohttp.ClientSession, texts):\n"
            '    async with session.post("http://localhost:8000/pooling", json=make_body(texts)) as r:\n'
            "        return await r.json()\n"
        ),
        Invalid(  # a dict(...) body
            'import requests\nbody = dict(model="m", input=texts)\nrequests.post("http://localhost:8000/pooling", json=body)\n'
        ),
        Invalid(  # one variable, two bodies: each post sends the body bound last before it
            'import requests\n\ndef main(base):\n    url = base + "/pooling"\n    prompt = {"input": "a", "task": "embed"}\n'
            '    requests.post(url, json=prompt)\n    prompt = {"messages": [{"role": "user", "content": "a"}]}\n'
            '    requests.post(url, json=prompt)\n'
        ),
        Invalid(  # vLLM's test server: the route from `url_for`
            'import requests\nfrom vllm.entrypoints.pooling.pooling.protocol import PoolingResponse\n\n'
            'def test_pooling(server):\n    r = requests.post(server.url_for("pooling"), json={"model": "m", "input": "a"})\n'
            '    PoolingResponse.model_validate(r.json())\n'
        ),
    ]

    def finish(self) -> None:
        reported: set[int] = set()
        for request in HttpRequests.of(self.context).requests():
            if request.route != "/pooling" or id(request.body) in reported or not request.complete:
                continue
            keys = request.keys()
            if "task" not in keys and PLUGIN_KEY not in keys:
                reported.add(id(request.body))
                self.report(request.body)
