"""What a client posts where: the request bodies a file sends to vLLM's pooling routes (POOL020, POOL024).

:class:`HttpRequests` finds, for each ``.post(url, json=body)`` (requests, httpx, aiohttp sessions) and each
OpenAI ``client.embeddings.create(..., extra_body=...)``, the dict literals the body can be and the route the URL
ends with. A body or a URL is followed through variables (the binding that reaches the post, so a variable
reassigned between two posts gives each post its own value), ``self.<attr>`` set in a method of the same class,
helper functions' ``return`` values, and the arguments every caller passes for a helper's parameter
(``post_http_request(prompt, api_url)``, as vLLM's client examples do). A URL is read as far as its last literal part: ``"http://h/pooling"``, ``f"{base}/pooling"``,
``base + "/pooling"``, ``urljoin(base, "pooling")``, or a route helper such as vLLM's test server's
``server.url_for("score")`` (a call whose trailing string arguments name the route).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import Assignment, QualifiedNameSource

from vllm_pooling_migrate.codemod.analysis.symbols import qualified_names
from vllm_pooling_migrate.codemod.python.edits import (PythonFix, RenameDictKey, RenameKeyword, keyword_arg, quote_like,
                                                       string_value)
from vllm_pooling_migrate.codemod.python.reaching import ReachingBindings
from vllm_pooling_migrate.codemod.python.rule import FileContext

HTTP_METHODS = {"post"}
#: vLLM's pooling routes (0.18-0.21): a body posted to one of them is a pooling request.
POOLING_ROUTES = ("/pooling", "/v1/embeddings", "/v2/embed", "/classify", "/v1/classify", "/score", "/v1/score",
                  "/rerank", "/v1/rerank", "/v2/rerank", "/invocations")
#: How deep a value is followed through variables, helper returns and helper parameters.
MAX_DEPTH = 4
#: Methods that change a dict in place: a body changed after it is built may gain or lose any key.
DICT_MUTATORS = {"update", "setdefault", "__setitem__", "pop", "popitem", "clear", "__delitem__"}


@dataclass(frozen=True)
class Request:
    """One body posted to one URL; ``route`` is the pooling route the URL ends with. The body is a dict literal or
    a ``dict(...)`` call (the builtin)."""

    route: str
    body: cst.Dict | cst.Call
    call: cst.Call  # the post call
    changed: bool = False  # the variable holding the body is changed in place (``body["task"] = ...``)

    def entries(self) -> list[tuple[int, str | None]]:
        """(position, key) of each entry written with a key (None for a key that is not a plain string)."""
        if isinstance(self.body, cst.Dict):
            return [(i, string_value(e.key)) for i, e in enumerate(self.body.elements) if isinstance(e, cst.DictElement)]
        return [(i, a.keyword.value) for i, a in enumerate(self.body.args) if a.keyword is not None]

    def keys(self) -> set[str | None]:
        return {key for _, key in self.entries()}

    @property
    def complete(self) -> bool:
        """Every key the body can hold is written in it: no ``**spread``, no mapping argument, no change in place."""
        if isinstance(self.body, cst.Dict):
            return not self.changed and all(isinstance(e, cst.DictElement) for e in self.body.elements)
        return not self.changed and all(a.keyword is not None for a in self.body.args)

    def rename(self, position: int, key: str) -> PythonFix:
        """The fix that renames the entry at ``position`` to ``key``, in the body's own spelling."""
        if isinstance(self.body, cst.Dict):
            element = self.body.elements[position]
            assert isinstance(element, cst.DictElement)
            return PythonFix().on(self.body, RenameDictKey(position, quote_like(element.key, key)))
        return PythonFix().on(self.body, RenameKeyword(position, key))


@dataclass
class HttpRequests:
    """The HTTP posts of one file and what feeds them, collected during the one traversal (every node once)."""

    posts: dict[int, cst.Call] = field(default_factory=dict)
    openai_embeddings: dict[int, cst.Call] = field(default_factory=dict)  # client.embeddings.create(..., extra_body=)
    values: dict[int, cst.BaseExpression] = field(default_factory=dict)  # id(Name target) -> assigned value
    functions: dict[str, list[cst.FunctionDef]] = field(default_factory=dict)
    params: dict[int, tuple[cst.FunctionDef, int, str]] = field(default_factory=dict)  # id(Param) -> (def, position, name)
    calls_by_name: dict[str, list[cst.Call]] = field(default_factory=dict)
    changed_names: list[cst.Name] = field(default_factory=list)  # x in ``x[k] = v``, ``x.update(...)``, ``del x[k]``
    self_values: dict[str, list[tuple[cst.Attribute, cst.BaseExpression]]] = field(default_factory=dict)  # self.<a> = v
    changed_attrs: set[str] = field(default_factory=set)  # a in ``self.a[k] = v``, ``self.a.update(...)``
    _context: FileContext | None = None
    _seen: set[int] = field(default_factory=set)  # nodes already fed
    _changed_bindings: set[int] | None = None

    @classmethod
    def of(cls, context: FileContext) -> HttpRequests:
        found = context.__dict__.get("_http_requests")
        if found is None:
            found = context.__dict__["_http_requests"] = cls(_context=context)
        return found

    def _first_time(self, node: cst.CSTNode) -> bool:
        if id(node) in self._seen:
            return False
        self._seen.add(id(node))
        return True

    def see_call(self, node: cst.Call) -> None:
        if not self._first_time(node):
            return
        func = node.func
        name = _call_name(node)
        if name in HTTP_METHODS:
            self.posts[id(node)] = node
        if (isinstance(func, cst.Attribute) and func.attr.value == "create" and isinstance(func.value, cst.Attribute)
                and func.value.attr.value == "embeddings"):
            self.openai_embeddings[id(node)] = node
        if isinstance(func, cst.Name):
            self.calls_by_name.setdefault(func.value, []).append(node)
        if isinstance(func, cst.Attribute) and func.attr.value in DICT_MUTATORS:
            self._changed(func.value)

    def see_assign(self, node: cst.Assign) -> None:
        if not self._first_time(node):
            return
        if len(node.targets) == 1:
            self._bind(node.targets[0].target, node.value)
        for target in node.targets:
            if isinstance(target.target, cst.Subscript):
                self._changed(target.target.value)

    def see_ann_assign(self, node: cst.AnnAssign) -> None:
        if self._first_time(node) and node.value is not None:
            self._bind(node.target, node.value)

    def see_del(self, node: cst.Del) -> None:
        if not self._first_time(node):
            return
        targets = [e.value for e in node.target.elements] if isinstance(node.target, cst.Tuple) else [node.target]
        for target in targets:
            if isinstance(target, cst.Subscript):
                self._changed(target.value)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.values[id(target)] = value
        elif (attr := _self_attribute(target)) is not None:
            assert isinstance(target, cst.Attribute)
            self.self_values.setdefault(attr, []).append((target, value))

    def _changed(self, holder: cst.BaseExpression) -> None:
        """``holder`` (the dict in ``holder[k] = v``, ``holder.update(...)``) is changed in place."""
        if isinstance(holder, cst.Name):
            self.changed_names.append(holder)
        elif (attr := _self_attribute(holder)) is not None:
            self.changed_attrs.add(attr)

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
                if isinstance(body_value, cst.Call) and _call_name(body_value) == "dumps" and body_value.args:
                    body_value = body_value.args[0].value
            else:
                body_value = body.value
            if url_value is None or body_value is None:
                continue
            routes = {route for text in self._strings(url_value) if (route := pooling_route(text))}
            if len(routes) != 1:
                continue
            found.extend(self._bodies(routes.pop(), body_value, call))
        for call in self.openai_embeddings.values():
            extra = keyword_arg(call, "extra_body")
            if extra is not None:
                found.extend(self._bodies("/v1/embeddings", extra.value, call))
        return found

    def values_of(self, value: cst.BaseExpression) -> list[cst.BaseExpression]:
        """What ``value`` can be, followed as bodies and URLs are (variables, helper returns, helper parameters)."""
        return [resolved for resolved, _ in self._resolve(value, 0, False)]

    def _bodies(self, route: str, value: cst.BaseExpression, call: cst.Call) -> list[Request]:
        seen: dict[int, Request] = {}
        for resolved, changed in self._resolve(value, 0, False):
            if isinstance(resolved, cst.Dict) or self._is_dict_call(resolved):
                assert isinstance(resolved, (cst.Dict, cst.Call))
                known = seen.get(id(resolved))
                seen[id(resolved)] = Request(route, resolved, call, changed or (known is not None and known.changed))
        return list(seen.values())

    def _is_dict_call(self, value: cst.BaseExpression) -> bool:
        return (isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict"
                and self._context is not None
                and any(q.name == "builtins.dict" and q.source is QualifiedNameSource.BUILTIN
                        for q in qualified_names(self._context.qualified_names, value.func)))

    def _strings(self, value: cst.BaseExpression) -> list[str]:
        """The URL texts ``value`` can be, as far as their last literal part: enough to see the route."""
        texts = [text for resolved, _ in self._resolve(value, 0, False) if (text := _tail_text(resolved)) is not None]
        if not texts and isinstance(value, cst.Call):
            text = _route_helper_text(value)  # a local helper whose returns say nothing: read its arguments
            if text is not None:
                texts.append(text)
        return texts

    def _resolve(self, value: cst.BaseExpression, depth: int, changed: bool) -> list[tuple[cst.BaseExpression, bool]]:
        """What ``value`` can be, each with whether a variable it went through is changed in place: itself, the
        values of the bindings of a name that reach it, what a helper returns, or the arguments every caller passes
        for a helper's parameter."""
        if depth > MAX_DEPTH:
            return []
        if isinstance(value, cst.Name) and self._context is not None:
            reaching = self._reaching().of(value)
            if reaching is None:
                return []
            out = []
            for assignment in reaching:
                through = changed or id(assignment) in self._changed_binding_ids()
                out.extend(self._binding_values(assignment, depth, through))
            return out
        if (attr := _self_attribute(value)) is not None and self._context is not None:
            owner = self._reaching().enclosing_class(value)
            through = changed or attr in self.changed_attrs
            return [r for target, bound in self.self_values.get(attr, ())
                    if owner is not None and self._reaching().enclosing_class(target) is owner
                    for r in self._resolve(bound, depth + 1, through)]
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            defs = self.functions.get(value.func.value, [])
            if len(defs) == 1:
                return [r for returned in _returns(defs[0]) for r in self._resolve(returned, depth + 1, changed)]
        picked = _picked_from(value)  # ``ENDPOINTS[i]``, ``random.choice(ENDPOINTS)``: any element of the list
        if picked is not None:
            elements = [r for container, through in self._resolve(picked, depth + 1, changed)
                        if isinstance(container, (cst.List, cst.Tuple))
                        for e in container.elements if not isinstance(e, cst.StarredElement)
                        for r in self._resolve(e.value, depth + 1, through)]
            if elements:
                return elements
        return [(value, changed)]

    def _binding_values(self, assignment: Assignment, depth: int, changed: bool) -> list[tuple[cst.BaseExpression, bool]]:
        node = assignment.node
        if id(node) in self.values:
            return self._resolve(self.values[id(node)], depth + 1, changed)
        if id(node) in self.params:
            function, position, name = self.params[id(node)]
            out = []
            for call in self.calls_by_name.get(function.name.value, []):
                argument = _argument(call, position, name)
                if argument is not None:
                    out.extend(self._resolve(argument, depth + 1, changed))
            return out
        return []

    def _reaching(self) -> ReachingBindings:
        assert self._context is not None
        found = self._context.__dict__.get("_reaching_bindings")
        if found is None:
            found = self._context.__dict__["_reaching_bindings"] = ReachingBindings(self._context.wrapper)
        return found

    def _changed_binding_ids(self) -> set[int]:
        """The bindings (ids of :class:`Assignment`) whose value is changed in place somewhere in the file."""
        if self._changed_bindings is None:
            self._changed_bindings = set()
            for name in self.changed_names:
                self._changed_bindings.update(id(a) for a in self._reaching().assignments(name) or ())
        return self._changed_bindings


def pooling_route(url: str) -> str | None:
    """The vLLM pooling route a URL (or the last literal part of one) ends with, if any."""
    path = url.split("?", 1)[0].rstrip("/")
    for route in sorted(POOLING_ROUTES, key=len, reverse=True):
        if path.endswith(route) or path == route.lstrip("/"):
            return route
    return None


def _picked_from(value: cst.BaseExpression) -> cst.BaseExpression | None:
    """The sequence ``value`` takes one element of: ``xs[i]`` or ``random.choice(xs)``."""
    if isinstance(value, cst.Subscript):
        return value.value
    if isinstance(value, cst.Call) and _call_name(value) == "choice" and len(value.args) == 1 and not value.args[0].star:
        return value.args[0].value
    return None


def _self_attribute(node: cst.BaseExpression) -> str | None:
    """``a`` for ``self.a``."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
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
    if isinstance(value, cst.Call):
        return _route_helper_text(value)
    return None


def _route_helper_text(call: cst.Call) -> str | None:
    """``url_for("v1", "embeddings")`` -> ``"/v1/embeddings"``: the call's trailing string arguments, joined as
    path segments (``urljoin(base, "pooling")``, vLLM's ``RemoteOpenAIServer.url_for(*parts)``)."""
    parts: list[str] = []
    for arg in reversed(call.args):
        text = string_value(arg.value) if arg.keyword is None and not arg.star else None
        if text is None:
            break
        parts.insert(0, text.strip("/"))
    return "/" + "/".join(parts) if parts else None


def _call_name(call: cst.Call) -> str | None:
    func = call.func
    return func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None


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

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        HttpRequests.of(self.context).see_ann_assign(node)

    def visit_Del(self, node: cst.Del) -> None:
        HttpRequests.of(self.context).see_del(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        HttpRequests.of(self.context).see_function(node)
