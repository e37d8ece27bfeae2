"""POOL005: a pooling ``LLM`` used for one task relies on the model's implicit default task.

From vLLM 0.19 a non-default task warns, from 0.21 it raises (M06 -> M07). When every use of one
construction requests the same task T, pinning ``pooler_config=PoolerConfig(task=T)`` keeps the code
working on every release from 0.19 (and is a no-op when T already was the default).
"""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.symbols import POOLER_CONFIG
from vllm_pooling_migrate.codemod.analysis.tasks import construction_config, config_of_value, lines_of, summarize
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import AddDictEntry, AddKeyword, PythonFix, keyword_index, quote_like, string_value
from vllm_pooling_migrate.codemod.python.rule import PythonRule


class ImplicitPoolingTask(PythonRule):
    CODE = "POOL005"
    MESSAGE = "this `LLM` relies on the implicit default pooling task: pin it with `PoolerConfig(task=...)`"

    VALID = [
        Valid('from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="embed"))\nllm.embed(["a"])\n'),
        Valid('from vllm import LLM\nllm = LLM("m")\nllm.generate(["a"])\n'),  # not a pooling use
        Valid('from sentence_transformers import SentenceTransformer\nimport vllm\nm = SentenceTransformer("x")\nm.encode(["a"])\n'),
        Valid('from vllm import LLM\nllm = LLM("m")\nllm.embed(["a"])\n', target="0.18"),  # no default task before 0.19
    ]
    INVALID = [
        Invalid(
            'from vllm import LLM\ntagger = LLM(model="my-org/bert-seqcls", runner="pooling")\nper_token = tagger.encode(sentences, pooling_task="token_classify")\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\ntagger = LLM(model="my-org/bert-seqcls", runner="pooling", pooler_config=PoolerConfig(task="token_classify"))\nper_token = tagger.encode(sentences, pooling_task="token_classify")\n',
        ),
        Invalid(
            'from vllm import LLM\nfrom vllm.config import PoolerConfig as PC\nllm = LLM(\n    "m",\n    pooler_config=PC(pooling_type="MEAN"),  # keep me\n)\nllm.embed(texts)\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig as PC\nllm = LLM(\n    "m",\n    pooler_config=PC(pooling_type="MEAN", task="embed"),  # keep me\n)\nllm.embed(texts)\n',
        ),
        Invalid(
            "from vllm import LLM\nllm = LLM('m', pooler_config={'pooling_type': 'MEAN'})\nllm.encode(texts, pooling_task='token_embed')\n",
            "from vllm import LLM\nllm = LLM('m', pooler_config={'pooling_type': 'MEAN', 'task': 'token_embed'})\nllm.encode(texts, pooling_task='token_embed')\n",
        ),
        Invalid(
            'import vllm\n\nclass Service:\n    def __init__(self):\n        self.engine = vllm.LLM("m")\n\n    def vectors(self, texts):\n        return self.engine.embed(texts)\n',
            'import vllm\nfrom vllm.config import PoolerConfig\n\nclass Service:\n    def __init__(self):\n        self.engine = vllm.LLM("m", pooler_config=PoolerConfig(task="embed"))\n\n    def vectors(self, texts):\n        return self.engine.embed(texts)\n',
        ),
        Invalid(
            'from vllm import LLM\n\ndef build():\n    return LLM("m")\n\ndef main():\n    llm = build()\n    return llm.classify(["x"])\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\n\ndef build():\n    return LLM("m", pooler_config=PoolerConfig(task="classify"))\n\ndef main():\n    llm = build()\n    return llm.classify(["x"])\n',
        ),
        Invalid(
            'from vllm import LLM, EngineArgs\nparser.set_defaults(model="m", runner="pooling")\nargs = parser.parse_args()\nllm = LLM(**vars(args))\nllm.encode(p, pooling_task="token_embed")\n',
            'from vllm import LLM, EngineArgs\nfrom vllm.config import PoolerConfig\nparser.set_defaults(model="m", runner="pooling", pooler_config=PoolerConfig(task="token_embed"))\nargs = parser.parse_args()\nllm = LLM(**vars(args))\nllm.encode(p, pooling_task="token_embed")\n',
        ),
        Invalid('from vllm import LLM\nllm = LLM("m")\nllm.embed(["a"])\nsend(llm)\n'),  # escapes: report only
        Invalid(
            'from vllm import LLM\nllm = LLM("m")\nllm.embed(["a"])\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="embed"))\nllm.embed(["a"])\n',
            target="0.19",
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._set_defaults: dict[str, list[cst.Call]] = {}  # parser name -> its set_defaults(...) calls
        self._parsed_by: dict[str, str] = {}  # args name -> the parser whose parse_args() made it

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "set_defaults" and isinstance(func.value, cst.Name):
            self._set_defaults.setdefault(func.value.value, []).append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if (
            len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == "parse_args"
            and isinstance(value.func.value, cst.Name)
        ):
            self._parsed_by[node.targets[0].target.value] = value.func.value.value

    def finish(self) -> None:
        for construction in self.context.tracker.constructions:
            config = construction_config(construction, self.symbol)
            if config.has_task:
                continue
            summary = summarize(construction, self.symbol)
            if len(summary.tasks) != 1 or summary.missing or summary.dynamic:
                continue  # several tasks: POOL004; encode() without task: POOL006
            task = summary.tasks[0]
            name = construction.display_name
            message = (
                f"`{name}` is used only for `{task}` (line {lines_of(summary.by_task[task], self.context.position)}) "
                f"but relies on the model's default pooling task; vLLM 0.21 raises for any other task: "
                f'pin it with `pooler_config=PoolerConfig(task="{task}")`'
            )
            reason = self._unprovable(construction, summary)
            if reason:
                self.report(construction.call, message, unfixable_reason=reason)
                continue
            fix, reason = self._fix(construction, config, task)
            self.report(construction.call, message, fix=fix, unfixable_reason=reason)

    def _unprovable(self, construction, summary) -> str | None:
        if summary.score:
            return "it also calls score(), whose method follows the default task (see POOL008)"
        if construction.ambiguous:
            return "the name is rebound in a branch, so which construction a call uses is decided at run time"
        if construction.escapes:
            where = self.context.position(construction.escapes[0]).start.line
            return f"the instance is passed on at line {where}, where its uses cannot be followed"
        return None

    def _fix(self, construction, config, task: str):
        call = construction.call
        reference = next((a.value for a in call.args if isinstance(a.value, cst.SimpleString)), None)
        literal = quote_like(reference, task)
        if config.kind == "call":
            quote_source = _first_string(config.value) or reference
            return PythonFix().on(config.value, AddKeyword("task", quote_like(quote_source, task))), None
        if config.kind == "dict":
            return PythonFix().on(config.value, AddDictEntry("task", literal)), None
        if config.kind == "absent":
            return self._new_pooler_config(construction, call, literal)
        if config.star_kwargs:
            return self._via_set_defaults(construction, task, literal)
        return None, "pooler_config= is not a literal PoolerConfig(...) or dict to merge the task into"

    def _new_pooler_config(self, construction, call: cst.Call, literal: cst.SimpleString, fix: PythonFix | None = None):
        need = self.context.import_for(construction.root, "vllm.config", POOLER_CONFIG)
        if need is None:
            return None, "vLLM is imported conditionally here: import PoolerConfig next to LLM and pin the task by hand"
        value = cst.Call(func=cst.Name(need.local), args=[cst.Arg(keyword=cst.Name("task"), value=literal,
                         equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))])
        fix = fix or PythonFix()
        fix.on(call, AddKeyword("pooler_config", value))
        fix.imports.append(need)
        return fix, None

    def _via_set_defaults(self, construction, task: str, literal: cst.SimpleString):
        """``LLM(**vars(args))`` with ``args = parser.parse_args()``: the task goes into that parser's
        ``set_defaults(...)``, where the script sets its argument defaults (spec §14 A)."""
        parser = self._parser_of(construction.call)
        calls = self._set_defaults.get(parser, []) if parser else []
        if len(calls) != 1:
            return None, "built from **kwargs that are not `vars(args)` of a parser with one set_defaults(...) call"
        defaults = calls[0]
        index = keyword_index(defaults, "pooler_config")
        if index is None:
            return self._new_pooler_config(construction, defaults, literal)
        existing = config_of_value(defaults.args[index].value, self.symbol)
        if existing.kind in ("call", "dict") and not existing.has_task:
            assert existing.value is not None  # config_of_value sets the value of a "call" or "dict" config
            op = AddKeyword("task", literal) if existing.kind == "call" else AddDictEntry("task", literal)
            return PythonFix().on(existing.value, op), None
        return None, "set_defaults(pooler_config=...) is not a literal to merge the task into"


    def _parser_of(self, call: cst.Call) -> str | None:
        for arg in call.args:
            value = arg.value
            if (
                arg.star == "**"
                and isinstance(value, cst.Call)
                and isinstance(value.func, cst.Name)
                and value.func.value == "vars"
                and len(value.args) == 1
                and isinstance(value.args[0].value, cst.Name)
            ):
                return self._parsed_by.get(value.args[0].value.value)
        return None


def _first_string(call: cst.Call):
    return next((a.value for a in call.args if string_value(a.value) is not None), None)
