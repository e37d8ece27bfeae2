"""Large files are analysed a section at a time (``codemod.python.sections``), with the same results.

Every case below is run twice: whole, and cut into the smallest sections the links between its statements allow
(``LARGE_SOURCE``/``SECTION_CHARS`` lowered), and the findings, fixes, fixed text and what is left must be equal.
The figures for real sizes (0.5 MB and 5 MB, time and memory) are ``benchmarks/bench_codemod.py --big``'s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vllm_pooling_migrate.codemod import engine
from vllm_pooling_migrate.codemod.examples import example_path
from vllm_pooling_migrate.codemod.finding import FileResult
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.python.sections.layout import NotSplittable
from vllm_pooling_migrate.codemod.python.sections.planning import plan_sections
from vllm_pooling_migrate.codemod.python.sections.scanning import scan
from vllm_pooling_migrate.codemod.rules import discover
from vllm_pooling_migrate.registry import parse_version

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parents[3]


def _python_cases() -> list[tuple[str, str, str | None]]:
    cases = [(p.name, p.read_text(), None) for p in sorted(FIXTURES.glob("*/*.in.py"))]
    for rule in discover():
        for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID)):
            for index, example in enumerate(examples):
                if example_path(example, rule.LANGUAGE).endswith(".py"):
                    cases.append((f"{rule.CODE}-{kind}-{index}", example.source, example.target))
    return cases


CASES = _python_cases()


def _key(result: FileResult) -> tuple:
    def rows(findings):
        return [(f.code, f.location, f.end_location, f.message, f.fix, f.unfixable_reason, f.statement_rows) for f in findings]

    return result.error, rows(result.findings), result.fixed_source, rows(result.remaining), sorted(map(str, rows(result.applied)))


def _both(monkeypatch, source: str, options: Options, section_chars: int = 1) -> tuple[FileResult, FileResult]:
    monkeypatch.setattr(engine, "LARGE_SOURCE", 10**12)
    whole = engine.check_python_source(source, "x.py", options)
    monkeypatch.setattr(engine, "LARGE_SOURCE", 0)
    monkeypatch.setattr(engine, "SECTION_CHARS", section_chars)
    return whole, engine.check_python_source(source, "x.py", options)


@pytest.mark.parametrize(("name", "source", "target"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("fix", [False, True], ids=["check", "fix"])
def test_sections_give_the_whole_file_result(monkeypatch, name, source, target, fix):
    options = Options(fix=fix, select=("ALL",), **({"target_version": parse_version(target)} if target else {}))
    whole, parts = _both(monkeypatch, source, options)
    assert _key(parts) == _key(whole)


def test_many_examples_in_one_file(monkeypatch):
    """Every example and fixture in one module: names shared between them link statements across the file."""
    pieces = []
    for _, source, target in CASES:
        if target is None and "vllm_pooling_migrate" not in source:
            try:
                compile(source, "x", "exec")
            except SyntaxError:
                continue
            pieces.append(source)
    source = "\n\n".join(pieces)
    for fix in (False, True):
        for chars in (1, 2_000):
            whole, parts = _both(monkeypatch, source, Options(fix=fix, select=("ALL",)), chars)
            assert _key(parts) == _key(whole)


def test_a_generated_file_is_cut_into_many_sections(monkeypatch):
    from benchmarks.bench_codemod import generate_big_file

    source = generate_big_file(60_000)
    calls = []
    real = engine._check_whole
    monkeypatch.setattr(engine, "_check_whole", lambda *a: calls.append(len(a[0])) or real(*a))
    whole, parts = _both(monkeypatch, source, Options(fix=True), section_chars=6_000)
    assert _key(parts) == _key(whole)
    assert len(calls) > 1 + 10 and max(calls[1:]) < 12_000  # the whole file once, then small sections


def test_scan_splits_top_level_statements_with_their_comments():
    source = (
        '"""Doc."""\nfrom __future__ import annotations\nimport os\n\n# about x\nx = 1\n\n@dec(a=1)\n'
        "def f():\n    global g\n    g = 2\n    return x\n\ntry:\n    import json\nexcept ImportError as e:\n"
        "    json = None\nelse:\n    y = 3\n\nclass C:\n    def m(self):\n        self.engine = 1\n"
        "import late\nprint(f'{g}')\nparser.set_defaults(task='embed')\n"
    )
    layout = scan(source)
    kinds = [(s.first, s.last, s.kind, s.first_block) for s in layout.statements]
    assert kinds == [
        (1, 1, "docstring", False), (2, 2, "import", True), (3, 3, "import", True), (4, 6, "code", False),
        (7, 12, "code", False), (13, 19, "code", False), (20, 23, "code", False), (24, 24, "import", False),
        (25, 25, "code", False), (26, 26, "code", False),
    ]
    by_first = {s.first: s for s in layout.statements}
    assert by_first[4].binds == {"x"}
    assert by_first[7].binds == {"f", "g"} and "a" not in by_first[7].names  # a keyword argument is no reference
    assert by_first[13].binds == {"json", "e", "y"}
    assert by_first[20].attr_writes == {"engine"} and by_first[20].binds == {"C"}
    assert "g" in by_first[25].names  # inside an f-string
    assert by_first[26].binds == {"parser"}  # a method call changes the object the name holds
    assert "".join(layout.text_of(s) for s in layout.statements) == source


def test_plan_links_statements_through_names_and_foreign_attributes():
    source = (
        "from vllm import LLM\nllm = LLM('m')\ndef use():\n    return llm.embed(['a'])\n"
        "class A:\n    def __init__(self):\n        self.engine = LLM('a')\n"
        "class B:\n    def __init__(self):\n        self.engine = LLM('b')\n"
        "class Own:\n    def __init__(self):\n        self.own = LLM('c')\n    def run(self):\n        return self.own.embed(1)\n"
        "def read(obj):\n    return obj.engine.classify(['x'])\n"
    )
    layout = scan(source)
    plan = plan_sections(layout, 1)
    groups = sorted(sorted(layout.text_of(s).split("\n", 1)[0] for s in section) for section in plan)
    assert groups == [
        ["class A:", "class B:", "def read(obj):"],  # engine is read on another object: both classes with the reader
        ["class Own:"],
        ["def use():", "llm = LLM('m')"],
    ]


def test_files_that_cannot_be_split_are_analysed_whole(monkeypatch):
    monkeypatch.setattr(engine, "LARGE_SOURCE", 0)
    monkeypatch.setattr(engine, "SECTION_CHARS", 1)
    cr_only = "from vllm import LLM\rllm = LLM('m')\rllm.encode(['a'], pooling_task='token_embed')\r"
    with pytest.raises(NotSplittable):
        scan(cr_only)
    result = engine.check_python_source(cr_only, "x.py", Options())
    assert [f.code for f in result.findings] == ["POOL005"]
    broken = "from vllm import LLM\nllm = LLM('m')\ndef f(:\n    pass\n"
    assert "cannot parse" in engine.check_python_source(broken, "x.py", Options()).error


def test_sections_thaw_what_they_froze(monkeypatch):
    import gc

    monkeypatch.setattr(engine, "LARGE_SOURCE", 0)
    monkeypatch.setattr(engine, "SECTION_CHARS", 1)
    source = "from vllm import LLM\na = LLM('a')\na.encode(['x'], pooling_task='token_embed')\nb = LLM('b')\nb.embed(['y'])\n"
    assert gc.get_freeze_count() == 0
    assert [f.code for f in engine.check_python_source(source, "x.py", Options()).findings] == ["POOL005"]
    assert gc.get_freeze_count() == 0
