"""Markdown fenced blocks and Jupyter notebooks (with a fake Python engine from conftest)."""

from __future__ import annotations

import json

from vllm_pooling_migrate.codemod.formats import add_noqa_to_file, scan_file
from vllm_pooling_migrate.codemod.options import Options

FIX = Options(fix=True)

README = """# Serving

```bash
vllm serve BAAI/bge-m3 \\
  --convert reward
```

```console
$ vllm serve M --override-pooler-config '{}'
INFO --convert reward (output, not a command)
$ echo done
```

```python
from vllm import LLM
llm = LEGACY
```

```python
BROKEN( ...
```

    vllm serve M --convert reward   (indented code: not a fenced block)

```sh
vllm serve M --convert reward  # noqa
```
"""


def test_markdown_check_finds_shell_and_python_blocks(check_python):
    result = scan_file("README.md", README, Options(), check_python)
    assert [(f.code, f.location.row, f.location.column) for f in result.findings] == [
        ("POOL017", 5, 3),
        ("POOL014", 9, 16),
        ("POOL001", 16, 7),
    ]
    assert result.error is None  # a fragment that does not parse is skipped


def test_markdown_fix_rewrites_only_inside_blocks(check_python):
    result = scan_file("README.md", README, FIX, check_python)
    assert result.fixed_source == (
        README.replace("  --convert reward\n```", "  --convert embed\n```")
        .replace("--override-pooler-config", "--pooler-config")
        .replace("llm = LEGACY", "llm = MODERN")
    )
    assert sorted(f.code for f in result.applied) == ["POOL001", "POOL014", "POOL017"]


def test_markdown_shell_rows_stay_right_after_a_python_block_grows(check_python):
    def growing(source, path, options):
        result = check_python(source, path, options)
        if result.fixed_source is not None:
            result.fixed_source = "import extra\n" + result.fixed_source
        return result

    text = "```python\nLEGACY\n```\n\n```bash\nvllm serve M --task embed --convert classify\n```\n"
    result = scan_file("a.md", text, FIX, growing)
    assert "import extra\nMODERN" in result.fixed_source
    [shell] = [f for f in result.remaining if f.code == "POOL013"]  # a conflict: not fixed, located in the new text
    assert result.fixed_source.splitlines()[shell.location.row - 1] == "vllm serve M --task embed --convert classify"
    assert [f.code for f in result.findings] == ["POOL001", "POOL013"]


def notebook(*cells: dict, indent: int = 1) -> str:
    document = {
        "cells": list(cells),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=indent, ensure_ascii=False) + "\n"


def code(cell_id: str, source, outputs=()) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {"tags": ["keep"]},
        "outputs": list(outputs),
        "source": source,
    }


OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["résumé LEGACY\n"]}
NOTEBOOK = notebook(
    {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": ["LEGACY in prose\n"]},
    code("c1", ["%pip install vllm\n", "!vllm serve M --convert reward &\n", "llm = LEGACY\n", "llm?"], [OUTPUT]),
    code("c2", ["%%bash\n", "vllm serve M --override-pooler-config '{}'\n"]),
    code("c3", "x = LEGACY  # noqa: POOL001\ny = LEGACY\n"),
)


def test_notebook_round_trip_is_byte_identical_when_nothing_changes(check_python):
    clean = NOTEBOOK.replace("LEGACY", "fine").replace("--convert reward", "--convert embed")
    clean = clean.replace("--override-pooler-config", "--pooler-config")
    result = scan_file("n.ipynb", clean, FIX, check_python)
    assert result.findings == [] and result.fixed_source is None


def test_notebook_findings_carry_cell_and_cell_relative_rows(check_python):
    result = scan_file("n.ipynb", NOTEBOOK, Options(), check_python)
    assert [(f.code, f.cell, f.location.row) for f in result.findings] == [
        ("POOL017", 2, 2),
        ("POOL001", 2, 3),
        ("POOL014", 3, 2),
        ("POOL001", 4, 2),
    ]


def test_notebook_fix_changes_only_sources_and_keeps_magics(check_python):
    result = scan_file("n.ipynb", NOTEBOOK, FIX, check_python)
    fixed = json.loads(result.fixed_source)
    original = json.loads(NOTEBOOK)
    assert fixed["cells"][1]["source"] == [
        "%pip install vllm\n",
        "!vllm serve M --convert embed &\n",
        "llm = MODERN\n",
        "llm?",
    ]
    assert fixed["cells"][2]["source"][1] == "vllm serve M --pooler-config '{}'\n"
    assert fixed["cells"][3]["source"] == "x = MODERN  # noqa: POOL001\ny = MODERN\n"  # the fake engine ignores noqa
    for before, after in zip(original["cells"], fixed["cells"]):
        assert {k: v for k, v in before.items() if k != "source"} == {k: v for k, v in after.items() if k != "source"}
    assert fixed["cells"][0] == original["cells"][0]
    # Layout kept: same text once the sources are put back.
    for cell, before in zip(fixed["cells"], original["cells"]):
        cell["source"] = before["source"]
    assert json.dumps(fixed, indent=1, ensure_ascii=False) + "\n" == NOTEBOOK


def test_notebook_noqa_suppresses_python_findings_in_its_cell(check_python):
    result = scan_file("n.ipynb", NOTEBOOK, Options(), check_python)
    assert not any(f.cell == 4 and f.location.row == 1 for f in result.findings)


def test_notebook_with_another_indent_keeps_it(check_python):
    text = notebook(code("a", ["y = LEGACY\n"]), indent=2)
    result = scan_file("n.ipynb", text, FIX, check_python)
    assert result.fixed_source == text.replace("LEGACY", "MODERN")


def test_notebook_python_error_and_invalid_json_are_errors(check_python):
    broken = notebook(code("a", ["BROKEN(\n"]))
    assert scan_file("n.ipynb", broken, Options(), check_python).error
    assert scan_file("n.ipynb", "{not json", Options(), check_python).error.startswith("n.ipynb: not a notebook")


def test_add_noqa_to_notebook_writes_into_the_right_cell(check_python):
    result = scan_file("n.ipynb", NOTEBOOK, Options(), check_python)
    with_noqa = add_noqa_to_file("n.ipynb", NOTEBOOK, result.findings)
    cells = json.loads(with_noqa)["cells"]
    assert cells[1]["source"][1] == "!vllm serve M --convert reward &  # noqa: POOL017\n"
    assert cells[1]["source"][2] == "llm = LEGACY  # noqa: POOL001\n"
    assert scan_file("n.ipynb", with_noqa, Options(), check_python).findings == []


def test_notebook_remaining_findings_are_located_in_the_fixed_cells(check_python):
    from vllm_pooling_migrate.codemod.finding import Finding, Location

    def engine(source, path, options):
        result = check_python(source, path, options)
        if result.fixed_source is not None:
            result.fixed_source = "import extra\n" + result.fixed_source  # lands above the first cell marker
            row = result.fixed_source.split("\n").index("y = KEEP") + 1
            result.remaining = [Finding("POOL004", "left", path, Location(row, 1), Location(row, 9))]
        return result

    text = notebook(code("a", ["x = LEGACY\n"]), code("b", ["!vllm serve M --task embed --convert classify\n", "y = KEEP\n"]))
    result = scan_file("n.ipynb", text, FIX, engine)
    cells = json.loads(result.fixed_source)["cells"]
    assert cells[0]["source"] == ["import extra\n", "x = MODERN\n"]
    assert [(f.code, f.cell, f.location.row) for f in result.remaining] == [("POOL013", 2, 1), ("POOL004", 2, 2)]
    assert [(f.code, f.cell) for f in result.applied] == [("POOL001", 1)]


def test_notebook_cell_magics_other_than_python_bodies_are_skipped(check_python):
    text = notebook(
        code("a", ["%%writefile serve.py\n", "this is not python LEGACY (\n"]),
        code("b", ["%%time\n", "y = LEGACY\n"]),
    )
    result = scan_file("n.ipynb", text, FIX, check_python)
    assert result.error is None
    cells = json.loads(result.fixed_source)["cells"]
    assert cells[0]["source"][1] == "this is not python LEGACY (\n"
    assert cells[1]["source"] == ["%%time\n", "y = MODERN\n"]


def test_notebook_masks_only_ipython_lines_that_start_a_logical_line(check_python):
    seen = []

    def engine(source, path, options):
        seen.append(source)
        return check_python(source, path, options)

    cell = [
        'x = ("a %s"\n',
        "     % LEGACY)\n",
        "y = 1  # really?\n",
        "%timeit y\n",
        "len?\n",
        "if y:\n",
        "    !echo hi\n",
    ]
    result = scan_file("n.ipynb", notebook(code("a", cell)), FIX, engine)
    assert "     % LEGACY)\n" in seen[0] and "y = 1  # really?\n" in seen[0]
    assert "%timeit" not in seen[0] and "len?" not in seen[0] and "!echo" not in seen[0]
    assert json.loads(result.fixed_source)["cells"][0]["source"] == [line.replace("LEGACY", "MODERN") for line in cell]


def test_notebook_with_crlf_cells_restores_masked_lines(check_python):
    text = notebook(code("a", ["%pip install vllm\r\n", "x = LEGACY\r\n"]))
    result = scan_file("n.ipynb", text, FIX, check_python)
    assert json.loads(result.fixed_source)["cells"][0]["source"] == ["%pip install vllm\r\n", "x = MODERN\r\n"]
