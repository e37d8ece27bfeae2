"""The tasks a Python file's HTTP clients request (``argv.client_tasks``), read from :class:`HttpRequests`."""

from __future__ import annotations

import libcst as cst

from vllm_pooling_migrate.codemod.argv.client_tasks import ROUTE_TASKS, ClientTasks
from vllm_pooling_migrate.codemod.python.edits import string_value
from vllm_pooling_migrate.codemod.python.http_requests import HttpRequests, Request
from vllm_pooling_migrate.codemod.python.rule import FileContext

#: The IO-processor plugin task: its requests go to whatever plugin the server loads, not to a pooler.
PLUGIN_TASK = "plugin"


def client_tasks(context: FileContext) -> ClientTasks:
    """Requests made in a function that checks for an error (``response.json()["error"]``, a 4xx status) are left
    out: a test that expects the server to refuse a task is not a client that needs it."""
    requests = HttpRequests.of(context)
    expecting_error = _functions_expecting_errors(context, requests)
    tasks: dict[str, tuple[str, int]] = {}
    for request in requests.requests():
        where = context.position(request.call)
        if any(start <= where.start.line <= end for start, end in expecting_error):
            continue
        for task in _tasks_of(requests, request):
            row = where.start.line
            if task != PLUGIN_TASK and (task not in tasks or row < tasks[task][1]):
                tasks[task] = (request.route, row)
    return ClientTasks(tasks)


def _functions_expecting_errors(context: FileContext, requests: HttpRequests) -> list[tuple[int, int]]:
    """The rows of each function (or method) whose body looks for an error response."""
    rows = []
    for definitions in requests.functions.values():
        for function in definitions:
            finder = _ErrorChecks()
            function.body.visit(finder)
            if finder.found:
                where = context.position(function)
                rows.append((where.start.line, where.end.line))
    return rows


class _ErrorChecks(cst.CSTVisitor):
    """``x["error"]``, ``status_code == 400`` (any 4xx), ``pytest.raises``, ``raise_for_status`` under ``raises``."""

    def __init__(self) -> None:
        self.found = False

    def visit_SubscriptElement(self, node: cst.SubscriptElement) -> None:
        if isinstance(node.slice, cst.Index) and string_value(node.slice.value) == "error":
            self.found = True

    def visit_Comparison(self, node: cst.Comparison) -> None:
        operands = [node.left, *(target.comparator for target in node.comparisons)]
        if any(isinstance(o, cst.Attribute) and o.attr.value in ("status_code", "status") for o in operands) and any(
                isinstance(o, cst.Integer) and 400 <= o.evaluated_value < 500 for o in operands):
            self.found = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "raises" and isinstance(node.value, cst.Name) and node.value.value == "pytest":
            self.found = True


def _tasks_of(requests: HttpRequests, request: Request) -> set[str]:
    if request.route in ROUTE_TASKS:
        return {ROUTE_TASKS[request.route]}
    if request.route != "/pooling":
        return set()
    value = _task_value(request)
    if value is None:
        return set()
    found = {string_value(v) for v in requests.values_of(value)}
    return set() if not found or None in found else {v for v in found if v is not None}


def _task_value(request: Request) -> cst.BaseExpression | None:
    if isinstance(request.body, cst.Dict):
        for element in request.body.elements:
            if isinstance(element, cst.DictElement) and string_value(element.key) == "task":
                return element.value
        return None
    for arg in request.body.args:
        if arg.keyword is not None and arg.keyword.value == "task":
            return arg.value
    return None
