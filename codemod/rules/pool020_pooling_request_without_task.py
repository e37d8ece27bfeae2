"""POOL020: a request body posted to ``/pooling`` without ``"task"``.

vLLM 0.18 answered such a request with per-token vectors (``token_embed``); from 0.19 the server's default
task is used, so an embedding model returns one vector instead. Report only: the intended task is the
author's to name, and the server must be started with the matching ``--pooler-config.task``.

:class:`HttpRequests` finds what a client posts where: the body written inline, held in a variable, returned by a
helper function, or passed into a helper that posts it (``post_http_request(prompt, api_url)``, as vLLM's own
client examples do); POOL024 reads it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import Assignment, ScopeProvider

from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import keyword_arg, string_value
from vllm_pooling_migrate.codemod.python.rule import FileContext, PythonRule

HTTP_METHODS = {"post"}
#: vLLM's pooling routes (0.18-0.21): a body posted to one of them is a pooling request.
POOLING_ROUTES = ("/pooling", "/v1/embeddings", "/v2/embed", "/classify", "/v1/classify", "/score", "/v1/score",
                  "/rerank", "/v1/rerank", "/v2/rerank", "/invocations")
#: How deep a value is followed through variables, helper returns and helper parameters.
MAX_DEPTH = 4


@dataclass(frozen=True)
class Request:
    """One body (a dict literal) posted to one URL; ``route`` is the pooling route the URL ends with."""

    route: str
    body: cst.Dict
    call: cst.Call  # the post call


@dataclass
class HttpRequests:
    """The HTTP posts of one file and what feeds them, collected during the one traversal (every node once)."""

    posts: dict[int, cst.Call] = field(default_factory=dict)
    openai_embeddings: dict[int, cst.Call] = field(default_factory=dict)  # client.embeddings.create(..., extra_body=)
    values: dict[int, cst.BaseExpression] = field(default_factory=dict)  # id(Name target) -> assigned value
    functions: dict[str, list[cst.FunctionDef]] = field(default_factory=dict)
    params: dict[int, tuple[cst.FunctionDef, int, str]] = field(default_factory=dict)  # id(Param) -> (def, position, name)
    calls_by_name: dict[str, list[cst.Call]] = field(default_factory=dict)
    _context: FileContext | None = None
    _seen: set[int] = field(default_factory=set)  # calls already fed

    @classmethod
    def of(cls, context: FileContext) -> HttpRequests:
        found = context.__dict__.get("_http_requests")
        if found is None:
            found = context.__dict__["_http_requests"] = cls(_context=context)
        return found

    def see_call(self, node: cst.Call) -> None:
        if id(node) in self._seen:
            return
        self._seen.add(id(node))
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
        if name in HTTP_METHODS:
            self.posts[id(node)] = node
        if (isinstance(func, cst.Attribute) and func.attr.value == "create" and isinstance(func.value, cst.Attribute)
                and func.value.attr.value == "embeddings"):
            self.openai_embeddings[id(node)] = node
        if isinstance(func, cst.Name):
            self.calls_by_name.setdefault(func.value, []).append(node)

    def see_assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self.values[id(node.targets[0].target)] = node.value

    def see_function(self, node: cst.FunctionDef) -> None:
        defs = self.functions.setdefault(node.name.value, [])
        if any(d is node for d in defs):
            return
        defs.append(node)
        for position, param in enumerate([*node.params.posonly_params, *node.params.params]):
            self.params[id(param)] = (node, position, param.name.value)
        for param in node.params.kwonly_params:
            self.params[id(param)] = (node, -1, param.name.value)

    # --- questions, from finish() ---------------------------------------------------------------------------

    def requests(self) -> list[Request]:
        """Every (route, body dict) a post in this file can send to a vLLM pooling route; each body once per post."""
        found: list[Request] = []
        for call in self.posts.values():
            url = keyword_arg(call, "url")
            url_value = url.value if url is not None else (call.args[0].value if call.args and call.args[0].keyword is None else None)
            body = keyword_arg(call, "json")
            if body is None:
                data = keyword_arg(call, "data") or keyword_arg(call, "body")
                body_value = data.value if data is not None else None
                if isinstance(body_value, cst.Call) and _is_json_dumps(body_value) and body_value.args:
                    body_value = body_value.args[0].value
            else:
                body_value = body.value
            if url_value is None or body_value is None:
                continue
            routes = {route for text in self._strings(url_value) if (route := pooling_route(text))}
            if len(routes) != 1:
                continue
            route = routes.pop()
            seen: set[int] = set()
            for value in self._dicts(body_value):
                if id(value) not in seen:
                    seen.add(id(value))
                    found.append(Request(route, value, call))
        for call in self.openai_embeddings.values():
            extra = keyword_arg(call, "extra_body")
            if extra is not None:
                found.extend(Request("/v1/embeddings", value, call) for value in self._dicts(extra.value))
        return found

    def _dicts(self, value: cst.BaseExpression) -> list[cst.Dict]:
        return [v for v in self._resolve(value, 0) if isinstance(v, cst.Dict)]

    def _strings(self, value: cst.BaseExpression) -> list[str]:
        """The URL texts ``value`` can be, as far as their last literal part: enough to see the route."""
        texts = []
        for resolved in self._resolve(value, 0):
            text = _tail_text(resolved)
            if text is not None:
                texts.append(text)
        return texts

    def _resolve(self, value: cst.BaseExpression, depth: int) -> list[cst.BaseExpression]:
        """What ``value`` can be: itself, the value of a name bound once in its scope, what a helper returns, or
        the arguments every caller passes for a helper's parameter."""
        if depth > MAX_DEPTH:
            return []
        if isinstance(value, cst.Name) and self._context is not None:
            scope = self._context.wrapper.resolve(ScopeProvider).get(value)
            if scope is None or value.value not in scope:
                return []
            assignments = list(scope[value.value])
            if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
                return []
            node = assignments[0].node
            if id(node) in self.values:
                return self._resolve(self.values[id(node)], depth + 1)
            if id(node) in self.params:
                function, position, name = self.params[id(node)]
                out = []
                for call in self.calls_by_name.get(function.name.value, []):
                    argument = _argument(call, position, name)
                    if argument is not None:
                        out.extend(self._resolve(argument, depth + 1))
                return out
            return []
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            defs = self.functions.get(value.func.value, [])
            if len(defs) == 1:
                return [r for returned in _returns(defs[0]) for r in self._resolve(returned, depth + 1)]
        return [value]


def pooling_route(url: str) -> str | None:
    """The vLLM pooling route a URL (or the last literal part of one) ends with, if any."""
    path = url.split("?", 1)[0].rstrip("/")
    for route in sorted(POOLING_ROUTES, key=len, reverse=True):
        if path.endswith(route) or path == route.lstrip("/"):
            return route
    return None


def _tail_text(value: cst.BaseExpression) -> str | None:
    if isinstance(value, cst.SimpleString):
        return string_value(value)
    if isinstance(value, cst.FormattedString):
        last = value.parts[-1] if value.parts else None
        return last.value if isinstance(last, cst.FormattedStringText) else None
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        return _tail_text(value.right)
    if isinstance(value, cst.ConcatenatedString):
        return _tail_text(value.right)
    if isinstance(value, cst.Call) and _call_name(value) == "urljoin" and len(value.args) == 2:
        text = _tail_text(value.args[1].value)
        return None if text is None else "/" + text.lstrip("/")
    return None


def _call_name(call: cst.Call) -> str | None:
    func = call.func
    return func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None


def _is_json_dumps(call: cst.Call) -> bool:
    return _call_name(call) == "dumps"


def _argument(call: cst.Call, position: int, name: str) -> cst.BaseExpression | None:
    arg = keyword_arg(call, name)
    if arg is not None:
        return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position].value if 0 <= position < len(positional) else None


def _returns(function: cst.FunctionDef) -> list[cst.BaseExpression]:
    """The values of ``function``'s own ``return`` statements (not those of functions nested in it)."""
    found: list[cst.BaseExpression] = []

    class Returns(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Return(self, node: cst.Return) -> None:
            if node.value is not None:
                found.append(node.value)

    function.visit(Returns())
    return found


class HttpRequestsFeed:
    """Mixin for rules that read :class:`HttpRequests`: feeds it from the rule's traversal."""

    context: FileContext

    def visit_Call(self, node: cst.Call) -> None:
        HttpRequests.of(self.context).see_call(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        HttpRequests.of(self.context).see_assign(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        HttpRequests.of(self.context).see_function(node)


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
    ]

    def finish(self) -> None:
        reported: set[int] = set()
        for request in HttpRequests.of(self.context).requests():
            if request.route != "/pooling" or id(request.body) in reported:
                continue
            elements = request.body.elements
            keys = {string_value(e.key) for e in elements if isinstance(e, cst.DictElement)}
            if "task" not in keys and all(isinstance(e, cst.DictElement) for e in elements):
                reported.add(id(request.body))
                self.report(request.body)
