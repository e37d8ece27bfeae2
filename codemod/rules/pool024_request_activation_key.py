"""POOL024: ``"normalize"``/``"softmax"``/``"activation"`` in a request body are ignored since vLLM 0.17.

vLLM 0.16 deprecated the request field ``normalize`` for ``use_activation``; from 0.17 the server accepts unknown
fields and drops them with a DEBUG line, so a client that sends ``"normalize": false`` gets normalised vectors and
``"softmax": false`` still gets probabilities. Renaming the key to ``"use_activation"`` (same value) restores what
the client asks for. Bodies are found wherever POOL020 finds them: inline, in a variable, from a helper, posted to
a literal URL or to a route helper's (``server.url_for("score")``). A body changed in place after it is built
(``body.pop("normalize")``, ``body[k] = v``) is reported without a fix. Only the keys the route's own request
model read count: ``"normalize"`` posted to ``/score`` was never vLLM's (``ROUTE_LEGACY_KEYS``). Routes other servers
serve too (``/v1/embeddings``, ``/rerank``) count only in a file that names vLLM somewhere (an import, a comment, a
URL, a model path): a client of another server may send its own ``"normalize"``.
"""

import libcst as cst

from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.http_requests import HttpRequests, HttpRequestsFeed
from vllm_pooling_migrate.codemod.python.rule import PythonRule

LEGACY_KEYS = ("normalize", "softmax", "activation")
_ACTIVATION_KEYS = frozenset({"softmax", "activation"})
#: The legacy keys each route's request model read, vLLM 0.9.2-0.16.0 (``entrypoints/**/protocol.py``): embeddings
#: took ``normalize``, classify/score/rerank ``softmax`` and ``activation``, ``/pooling`` all three. Any other key
#: was never vLLM's (a project's own handler may read it): renaming it would change what the request asks for.
ROUTE_LEGACY_KEYS = {
    "/v1/embeddings": frozenset({"normalize"}), "/v2/embed": frozenset({"normalize"}),
    "/pooling": frozenset(LEGACY_KEYS), "/invocations": frozenset(LEGACY_KEYS),
    **{route: _ACTIVATION_KEYS for route in ("/classify", "/v1/classify", "/score", "/v1/score", "/rerank",
                                             "/v1/rerank", "/v2/rerank")},
}


class RequestActivationKey(HttpRequestsFeed, PythonRule):
    CODE = "POOL024"
    MESSAGE = '`"normalize"`/`"softmax"`/`"activation"` in a pooling request are ignored since vLLM 0.17: use `"use_activation"`'

    VALID = [
        Valid(  # another server's embeddings route: nothing in the file says it is vLLM
            'import requests\nrequests.post("http://10.0.0.2:18000/v1/embeddings", json={"input": x, "normalize": True})\n'
        ),
        Valid(  # vLLM's score and rerank requests never had `normalize`: a project's own handler reads it
            'import requests\nimport vllm\nrequests.post(server.url_for("score"), json={"text_1": a, "text_2": b, "normalize": True})\n'
        ),
        Valid('import requests\nrequests.post("http://localhost:8000/v1/embeddings", json={"input": x, "softmax": False})\n'),
        Valid('import requests\nrequests.post("http://localhost:8000/v1/embeddings", json={"input": x, "use_activation": False})\n'),
        Valid('import requests\nrequests.post("http://localhost:8080/api/settings", json={"normalize": False})\n'),  # not a pooling route
        Valid('import requests\nrequests.post("http://localhost:8000/pooling", json={"input": x, "normalize": False, "task": "embed"})\n',
              target="0.16"),  # still read (with a warning) by vLLM 0.16
        Valid(  # a route helper naming a route that is not a pooling one
            'import requests\nimport vllm\nrequests.post(server.url_for("generate"), json={"prompt": p, "activation": "gelu"})\n'
        ),
    ]
    INVALID = [
        Invalid(
            'import requests\nbody = {"model": "m", "input": texts, "task": "token_embed", "normalize": False}\n'
            'r = requests.post("http://localhost:8000/pooling", json=body)\n',
            'import requests\nbody = {"model": "m", "input": texts, "task": "token_embed", "use_activation": False}\n'
            'r = requests.post("http://localhost:8000/pooling", json=body)\n',
        ),
        Invalid(
            'import requests\nr = requests.post("http://vllm:8000/v1/embeddings", json={"input": texts, "normalize": False})\n',
            'import requests\nr = requests.post("http://vllm:8000/v1/embeddings", json={"input": texts, "use_activation": False})\n',
        ),
        Invalid(
            "import httpx\n\ndef classify_body(texts):\n    return {'model': 'm', 'input': texts, 'softmax': False}\n\n"
            "httpx.post(vllm_url + '/classify', json=classify_body(['a']))\n",
            "import httpx\n\ndef classify_body(texts):\n    return {'model': 'm', 'input': texts, 'use_activation': False}\n\n"
            "httpx.post(vllm_url + '/classify', json=classify_body(['a']))\n",
        ),
        Invalid(
            'from openai import OpenAI\nimport vllm\nclient = OpenAI(base_url="http://localhost:8000/v1")\n'
            'client.embeddings.create(model="m", input=["a"], extra_body={"normalize": False})\n',
            'from openai import OpenAI\nimport vllm\nclient = OpenAI(base_url="http://localhost:8000/v1")\n'
            'client.embeddings.create(model="m", input=["a"], extra_body={"use_activation": False})\n',
        ),
        Invalid(  # vLLM's test server: the route from `url_for`
            'import requests\nimport vllm\nr = requests.post(server.url_for("score"), json={"text_1": a, "text_2": b, "activation": True})\n',
            'import requests\nimport vllm\nr = requests.post(server.url_for("score"), json={"text_1": a, "text_2": b, "use_activation": True})\n',
        ),
        Invalid(  # the body is changed after it is built (`pop` would fail on a renamed key): report only
            'import requests\nbody = {"input": texts, "normalize": False}\nbody.pop("normalize")\n'
            'requests.post("http://vllm:8000/v1/embeddings", json=body)\n'
        ),
        Invalid(  # a dict(...) body
            'import httpx\nhttpx.post(vllm_url + "/rerank", json=dict(query=q, documents=docs, softmax=False))\n',
            'import httpx\nhttpx.post(vllm_url + "/rerank", json=dict(query=q, documents=docs, use_activation=False))\n',
        ),
        Invalid(  # `base` may hold "use_activation": dict() would get the keyword twice
            'import httpx\nhttpx.post(vllm_url + "/classify", json=dict(**base, input=texts, softmax=False))\n'
        ),
        Invalid(  # two old keys, or the new one too: which value is meant is the author's to say
            'import requests\nrequests.post("http://h/pooling", json={"input": x, "task": "embed", "normalize": True, "use_activation": False})\n'
        ),
    ]

    def finish(self) -> None:
        reported: set[int] = set()
        for request in HttpRequests.of(self.context).requests():
            body = request.body
            if id(body) in reported or (request.route != "/pooling" and not self.context.mentions_vllm):
                continue  # `/pooling` is vLLM's own; other routes are vLLM's only in a file that says so
            keys = request.entries()
            legacy = [(i, key) for i, key in keys if key in ROUTE_LEGACY_KEYS.get(request.route, LEGACY_KEYS)]
            if not legacy:
                continue
            reported.add(id(body))
            names = ", ".join(f'`"{key}"`' for _, key in legacy)
            message = (f"{names} in this `{request.route}` request {'is' if len(legacy) == 1 else 'are'} ignored since "
                       'vLLM 0.17 (the server drops unknown fields): use `"use_activation"` with the same value')
            if request.changed:
                self.report(body, message, unfixable_reason="the body is changed after it is built: rename the key by hand")
                continue
            if isinstance(body, cst.Call) and any(arg.star == "**" for arg in body.args):
                self.report(body, message, unfixable_reason="a mapping spread into `dict(...)` may hold "
                            '`"use_activation"` (a keyword given twice raises): rename the key by hand')
                continue
            if len(legacy) > 1 or any(key == "use_activation" for _, key in keys):
                self.report(body, message, unfixable_reason='`"use_activation"` would be given twice: keep one by hand')
                continue
            self.report(body, message, fix=request.rename(legacy[0][0], "use_activation"))
