"""POOL001: ``LLM(task=...)`` was removed in vLLM 0.13; it becomes ``runner=``/``convert=`` (spec §11 P1).

The mapping (``registry.TASK_OPTION_REPLACEMENTS``) reproduces what the old option selected for every checkpoint,
so the fix is safe. The same option also reaches ``LLM`` through argparse defaults (``parser.set_defaults(task=...)``
with ``LLM(**vars(args))``, in the same function or through ``main(args)``) and through dicts splatted into it
(``kwargs = {..., "task": "embed"}; LLM(**kwargs)``, ``kwargs["task"] = ...``): :class:`EngineArgSources` finds
those, and POOL002, POOL003 and POOL005 read it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import Assignment, ScopeProvider

from vllm_pooling_migrate.codemod.analysis.symbols import ASYNC_ENGINE_ARGS, ENGINE_ARGS, LLM
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import (AddDictEntry, AddKeyword, PythonFix, RemoveArg, RenameDictKey,
                                                       RenameKeyword, ReplaceValue, keyword_index, quote_like,
                                                       string_value)
from vllm_pooling_migrate.codemod.python.rule import FileContext, PythonRule
from vllm_pooling_migrate.registry import TASK_OPTION_REPLACEMENTS

ENGINE_ARG_TAKERS = frozenset({LLM, ENGINE_ARGS, ASYNC_ENGINE_ARGS})


def replacement_pairs(value: str) -> list[tuple[str, str]] | None:
    """``"embed"`` -> ``[("runner", "pooling"), ("convert", "embed")]``; ``[]`` for ``auto``; None if unknown."""
    if value not in TASK_OPTION_REPLACEMENTS:
        return None
    replacement = TASK_OPTION_REPLACEMENTS[value]
    if replacement is None:
        return []
    runner, convert = replacement
    return [("runner", runner)] + ([("convert", convert)] if convert else [])


def replacement_text(value: str | None, assign: str = "=") -> str:
    """What to write instead of the old task value, as keyword arguments (``assign`` "=") or dict entries (":")."""
    pairs = replacement_pairs(value) if value is not None else None
    if pairs is None:
        return "`runner=`/`convert=`" if assign == "=" else '`"runner"`/`"convert"`'
    if not pairs:
        return "nothing (drop it)"
    if assign == "=":
        return "`" + ", ".join(f'{name}="{want}"' for name, want in pairs) + "`"
    return "`" + ", ".join(f'"{name}": "{want}"' for name, want in pairs) + "`"


def task_option_fix(call: cst.Call, index: int | None = None) -> tuple[str | None, PythonFix | None, str | None]:
    """(old value, fix, reason there is none) for a call carrying ``task=`` (LLM, EngineArgs, set_defaults ...).

    ``runner=``/``convert=`` already given with the values the mapping wants are kept; any other value is a
    conflict, reported rather than guessed at.
    """
    index = keyword_index(call, "task") if index is None else index
    if index is None:
        raise ValueError("task_option_fix() needs a call with a task= argument")
    arg = call.args[index]
    value = string_value(arg.value)
    if value is None:
        return None, None, "the task is not a string literal"
    pairs = replacement_pairs(value)
    if pairs is None:
        return value, None, f'task="{value}" is not a task value vLLM knew'
    for name, want in pairs:
        at = keyword_index(call, name)
        if at is not None and string_value(call.args[at].value) != want:
            return value, None, f"the call already sets {name}= to something else than {want!r}"
    missing = [(name, want) for name, want in pairs if keyword_index(call, name) is None]
    fix = PythonFix()
    if not missing:
        return value, fix.on(call, RemoveArg(index)), None
    (first, first_value), *rest = missing
    fix.on(call, RenameKeyword(index, first), ReplaceValue(index, quote_like(arg.value, first_value)))
    for name, want in reversed(rest):
        fix.on(call, AddKeyword(name, quote_like(arg.value, want), after=index))
    return value, fix, None


def dict_task_fix(value: cst.Dict, index: int) -> tuple[str | None, PythonFix | None, str | None]:
    """The fix of a ``"task": ...`` entry of a dict literal that feeds engine arguments.

    Dict fixes can rename a key and add an entry: ``"task": "embed"`` becomes ``"convert": "embed"`` plus
    ``"runner": "pooling"`` (likewise ``classify``); other values need their value changed, which is left to the
    author, with the replacement in the message.
    """
    element = value.elements[index]
    assert isinstance(element, cst.DictElement)
    task = string_value(element.value)
    if task is None:
        return None, None, "the task is not a string literal"
    pairs = replacement_pairs(task)
    if pairs is None:
        return task, None, f'"{task}" is not a task value vLLM knew'
    keys = {string_value(e.key) for e in value.elements if isinstance(e, cst.DictElement)}
    if keys & {"runner", "convert"}:
        return task, None, 'the dict already has "runner"/"convert": merge them by hand'
    wanted = dict(pairs)
    if wanted.get("convert") != task:
        return task, None, f"write {replacement_text(task, ':')} in place of the entry"
    fix = PythonFix().on(value, RenameDictKey(index, quote_like(element.key, "convert")),
                         AddDictEntry("runner", quote_like(element.key, wanted["runner"])))
    return task, fix, None


def dict_entry(value: cst.Dict, key: str) -> int | None:
    for index, element in enumerate(value.elements):
        if isinstance(element, cst.DictElement) and string_value(element.key) == key:
            return index
    return None


# --- where engine arguments come from ---------------------------------------------------------------------------


@dataclass
class Consumer:
    """A call that takes engine arguments wholesale: ``LLM(**vars(args))``, ``EngineArgs.from_cli_args(args)``,
    ``LLM(**kwargs)``."""

    call: cst.Call
    symbol: str  # LLM | EngineArgs | AsyncEngineArgs
    name: cst.Name  # the splatted (or passed) variable
    namespace: bool  # an argparse namespace (vars(args) / from_cli_args) rather than a dict


@dataclass
class EngineArgSources:
    """Argparse defaults and dicts that feed engine arguments, collected during the file's one traversal.

    Shared by the rules of one file (``EngineArgSources.of(context)``); each rule feeds it from its own visitor
    methods and every node is recorded once, so it does not matter which rules are selected.
    """

    set_defaults: dict[int, cst.Call] = field(default_factory=dict)
    own_flags: set[str] = field(default_factory=set)  # dests of the script's own add_argument("--x") calls
    consumers: dict[int, Consumer] = field(default_factory=dict)
    dict_values: dict[int, cst.BaseExpression] = field(default_factory=dict)  # id(Name target) -> assigned value
    subscript_stores: dict[int, tuple[cst.Name, str, cst.Assign]] = field(default_factory=dict)
    namespace_reads: set[str] = field(default_factory=set)  # `args.<name>` read anywhere: the script's own option
    _context: FileContext | None = None
    _seen: set[int] = field(default_factory=set)  # calls already fed (every rule that reads this feeds it)

    @classmethod
    def of(cls, context: FileContext) -> EngineArgSources:
        found = context.__dict__.get("_engine_arg_sources")
        if found is None:
            found = context.__dict__["_engine_arg_sources"] = cls(_context=context)
        return found

    # Feeding, from any rule's visit_Call / visit_Assign.

    def see_call(self, node: cst.Call, rule: PythonRule) -> None:
        if id(node) in self._seen:
            return
        self._seen.add(id(node))
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "set_defaults" and node.args:
            self.set_defaults[id(node)] = node
        elif isinstance(func, cst.Attribute) and func.attr.value == "add_argument":
            for arg in node.args:
                flag = string_value(arg.value) if arg.keyword is None else None
                if flag and flag.startswith("--"):
                    self.own_flags.add(flag[2:].replace("-", "_"))
                if arg.keyword is not None and arg.keyword.value == "dest":
                    dest = string_value(arg.value)
                    if dest:
                        self.own_flags.add(dest)
        elif isinstance(func, cst.Attribute) and func.attr.value == "from_cli_args":
            symbol = rule.symbol(func.value)
            passed = node.args[0].value if node.args else None
            if symbol in (ENGINE_ARGS, ASYNC_ENGINE_ARGS) and isinstance(passed, cst.Name):
                self.consumers[id(node)] = Consumer(node, symbol, passed, namespace=True)
        else:
            symbol = rule.symbol(func)
            if symbol not in ENGINE_ARG_TAKERS:
                return
            for arg in node.args:
                if arg.star != "**":
                    continue
                value = arg.value
                if _is_vars_call(value):
                    assert isinstance(value, cst.Call)
                    passed = value.args[0].value
                    assert isinstance(passed, cst.Name)
                    self.consumers[id(node)] = Consumer(node, symbol, passed, namespace=True)
                elif isinstance(value, cst.Name):
                    self.consumers[id(node)] = Consumer(node, symbol, value, namespace=False)

    def see_attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and node.value.value in ("args", "opts", "options", "namespace", "ns"):
            self.namespace_reads.add(node.attr.value)

    def see_assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = node.targets[0].target
        if isinstance(target, cst.Name):
            self.dict_values[id(target)] = node.value
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and len(target.slice) == 1:
            index = target.slice[0].slice
            key = string_value(index.value) if isinstance(index, cst.Index) else None
            if key is not None:
                self.subscript_stores[id(node)] = (target.value, key, node)

    # Questions, from finish().

    def namespace_defaults(self, key: str) -> tuple[cst.Call | None, str | None]:
        """The one ``set_defaults(...)`` call that gives ``key`` to engine arguments built from an argparse
        namespace (``LLM(**vars(args))``, ``EngineArgs.from_cli_args(args)``), and why there is none.

        Linked when the file builds engine arguments from a namespace and exactly one ``set_defaults`` call in it
        sets ``key``; a script with its own ``--<key>`` argument means something of its own by it.
        """
        if not any(c.namespace for c in self.consumers.values()):
            return None, None
        calls = [c for c in self.set_defaults.values() if keyword_index(c, key) is not None]
        if not calls:
            return None, None
        if key in self.own_flags or key in self.namespace_reads:
            return None, f"the script defines or reads its own --{key.replace('_', '-')} argument"
        if len(calls) > 1:
            return None, f"several set_defaults(...) calls set {key}=: which one reaches the engine is not visible"
        return calls[0], None

    def namespace_symbols(self) -> set[str]:
        return {c.symbol for c in self.consumers.values() if c.namespace}

    def parser_defaults(self) -> list[cst.Call]:
        """Every ``set_defaults`` call, when the file builds engine arguments from a namespace."""
        if not any(c.namespace for c in self.consumers.values()):
            return []
        return list(self.set_defaults.values())

    def splatted_dict(self, consumer: Consumer) -> cst.BaseExpression | None:
        """The dict literal (or ``dict(...)`` call) bound once, in the consumer's scope, to the splatted name."""
        if consumer.namespace:
            return None
        assignments = self._assignments(consumer.name)
        if assignments is None or len(assignments) != 1:
            return None
        value = self.dict_values.get(id(assignments[0].node))
        if isinstance(value, cst.Dict) or (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
                                           and value.func.value == "dict"):
            return value
        return None

    def subscript_stores_of(self, consumer: Consumer) -> list[tuple[str, cst.Assign]]:
        """``name["key"] = value`` statements on the consumer's splatted dict, in its scope."""
        if consumer.namespace or self._context is None:
            return []
        scopes = self._context.wrapper.resolve(ScopeProvider)
        scope = scopes.get(consumer.name)
        found = []
        for name, key, statement in self.subscript_stores.values():
            if name.value == consumer.name.value and scopes.get(name) is scope:
                found.append((key, statement))
        return found

    def bound_value(self, name: cst.Name) -> cst.BaseExpression | None:
        """The value of the one plain assignment of ``name`` that its scope sees, if there is exactly one."""
        assignments = self._assignments(name)
        if assignments is None or len(assignments) != 1:
            return None
        return self.dict_values.get(id(assignments[0].node))

    def _assignments(self, name: cst.Name) -> list[Assignment] | None:
        """The assignments of ``name`` in its scope, when every one is a plain name binding (None otherwise)."""
        if self._context is None:
            return None
        scope = self._context.wrapper.resolve(ScopeProvider).get(name)
        if scope is None or name.value not in scope:
            return None
        found = list(scope[name.value])
        plain = [a for a in found if isinstance(a, Assignment) and isinstance(a.node, cst.Name)]
        return plain if len(plain) == len(found) else None


def _is_vars_call(value: cst.BaseExpression) -> bool:
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "vars"
        and len(value.args) == 1
        and isinstance(value.args[0].value, cst.Name)
    )


class EngineArgSourcesFeed:
    """Mixin for rules that read :class:`EngineArgSources`: feeds it from the rule's traversal."""

    context: FileContext

    def visit_Call(self, node: cst.Call) -> None:
        EngineArgSources.of(self.context).see_call(node, self)  # type: ignore[arg-type]

    def visit_Assign(self, node: cst.Assign) -> None:
        EngineArgSources.of(self.context).see_assign(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        EngineArgSources.of(self.context).see_attribute(node)


class LlmTaskArgument(EngineArgSourcesFeed, PythonRule):
    CODE = "POOL001"
    MESSAGE = "`LLM(task=...)` was removed in vLLM 0.13: use `runner=`/`convert=`"

    VALID = [
        Valid('from vllm import LLM\nllm = LLM("intfloat/e5-small", runner="pooling")\n'),
        Valid('class LLM:\n    def __init__(self, task): ...\nLLM(task="embed")\n'),  # a user's own class
        Valid(  # the script's own --task option, not vLLM's
            "import argparse\nfrom vllm import LLM\nparser = argparse.ArgumentParser()\n"
            'parser.add_argument("--task", choices=["embed", "classify"])\nparser.set_defaults(task="embed")\n'
            "args = parser.parse_args()\nllm = LLM(model=args.model, runner=\"pooling\")\n"
        ),
        Valid('from vllm import LLM\nkwargs = {"model": "m", "runner": "pooling", "convert": "embed"}\nllm = LLM(**kwargs)\n'),
    ]
    INVALID = [
        Invalid(
            'from vllm import LLM\nencoder = LLM(model="intfloat/e5-base-v2", task="embedding")\n',
            'from vllm import LLM\nencoder = LLM(model="intfloat/e5-base-v2", runner="pooling", convert="embed")\n',
        ),
        Invalid(
            "import vllm as v\nclf = v.LLM('my/classifier', task='classify')\n",
            "import vllm as v\nclf = v.LLM('my/classifier', runner='pooling', convert='classify')\n",
        ),
        Invalid(
            'from vllm import LLM\nprm = LLM("Qwen/Qwen2.5-Math-PRM-7B", task="reward")\n',
            'from vllm import LLM\nprm = LLM("Qwen/Qwen2.5-Math-PRM-7B", runner="pooling")\n',
        ),
        Invalid(
            'from vllm import LLM\nllm = LLM("m", task="generate")\n',
            'from vllm import LLM\nllm = LLM("m", runner="generate")\n',
        ),
        Invalid('from vllm import LLM\nllm = LLM("m", task="auto")\n', 'from vllm import LLM\nllm = LLM("m")\n'),
        Invalid(
            'from vllm import LLM\nllm = LLM("m", runner="pooling", task="classify")\n',
            'from vllm import LLM\nllm = LLM("m", runner="pooling", convert="classify")\n',
        ),
        Invalid('from vllm import LLM\nllm = LLM("m", task="embed", convert="classify")\n'),  # conflict: report
        Invalid(  # vLLM's own examples before 0.10: argparse defaults reach LLM(**vars(args)) through main(args)
            "from vllm import LLM, EngineArgs\nfrom vllm.utils import FlexibleArgumentParser\n\n"
            "def parse_args():\n    parser = FlexibleArgumentParser()\n    parser = EngineArgs.add_cli_args(parser)\n"
            '    parser.set_defaults(model="intfloat/e5-small", task="embed", enforce_eager=True)\n'
            "    return parser.parse_args()\n\ndef main(args):\n    llm = LLM(**vars(args))\n    return llm.embed(['a'])\n\n"
            'if __name__ == "__main__":\n    main(parse_args())\n',
            "from vllm import LLM, EngineArgs\nfrom vllm.utils import FlexibleArgumentParser\n\n"
            "def parse_args():\n    parser = FlexibleArgumentParser()\n    parser = EngineArgs.add_cli_args(parser)\n"
            '    parser.set_defaults(model="intfloat/e5-small", runner="pooling", convert="embed", enforce_eager=True)\n'
            "    return parser.parse_args()\n\ndef main(args):\n    llm = LLM(**vars(args))\n    return llm.embed(['a'])\n\n"
            'if __name__ == "__main__":\n    main(parse_args())\n',
        ),
        Invalid(
            'from vllm import LLM\nkwargs = {"model": "m", "task": "classify"}\nllm = LLM(**kwargs)\n',
            'from vllm import LLM\nkwargs = {"model": "m", "convert": "classify", "runner": "pooling"}\nllm = LLM(**kwargs)\n',
        ),
        Invalid(
            'from vllm import LLM\nkwargs = dict(model="m", task="embed")\nllm = LLM(**kwargs)\n',
            'from vllm import LLM\nkwargs = dict(model="m", runner="pooling", convert="embed")\nllm = LLM(**kwargs)\n',
        ),
        Invalid('from vllm import LLM\ncfg = {"model": "m"}\ncfg["task"] = "embed"\nllm = LLM(**cfg)\n'),  # report
    ]

    def finish(self) -> None:
        sources = EngineArgSources.of(self.context)
        if LLM in sources.namespace_symbols():
            defaults, _ = sources.namespace_defaults("task")  # no link (the script's own --task): not vLLM's
            if defaults is not None:
                self._report_call(defaults, "`set_defaults({shown})` reaches `LLM(**vars(args))`; it")
        for consumer in sources.consumers.values():
            if consumer.symbol == LLM and not consumer.namespace:
                report_splatted_task(self, sources, consumer)

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        if self.symbol(node.func) == LLM and keyword_index(node, "task") is not None:
            self._report_call(node, "`LLM({shown})`")

    def _report_call(self, node: cst.Call, where: str) -> None:
        value, fix, reason = task_option_fix(node)
        shown = f'task="{value}"' if value else "task=..."
        index = keyword_index(node, "task")
        anchor = node.args[index] if index is not None else node  # the keyword itself: a long call spans many lines
        self.report(anchor, f"{where.format(shown=shown)} was removed in vLLM 0.13: use {replacement_text(value)}",
                    fix=fix, unfixable_reason=reason)


def report_splatted_task(rule: PythonRule, sources: EngineArgSources, consumer: Consumer) -> None:
    """``task`` inside a dict splatted into ``LLM``/``EngineArgs``: a literal or ``dict(...)`` bound once, or a
    ``kwargs["task"] = ...`` statement in the same scope."""
    target = f"`{consumer.symbol}(**{consumer.name.value})`"
    value = sources.splatted_dict(consumer)
    if isinstance(value, cst.Call) and keyword_index(value, "task") is not None:
        task, fix, reason = task_option_fix(value)
        rule.report(value, f"`task` reaches {target}; it was removed in vLLM 0.13: use {replacement_text(task)}",
                    fix=fix, unfixable_reason=reason)
    elif isinstance(value, cst.Dict):
        index = dict_entry(value, "task")
        if index is not None:
            task, fix, reason = dict_task_fix(value, index)
            rule.report(value, f'`"task"` reaches {target}; it was removed in vLLM 0.13: use '
                        f"{replacement_text(task, ':')}", fix=fix, unfixable_reason=reason)
    for key, statement in sources.subscript_stores_of(consumer):
        if key == "task":
            literal = string_value(statement.value)
            rule.report(statement, f'`{consumer.name.value}["task"]` reaches {target}; it was removed in vLLM 0.13: '
                        f"set {replacement_text(literal, ':')} instead",
                        unfixable_reason="a subscript assignment is rewritten by hand")
