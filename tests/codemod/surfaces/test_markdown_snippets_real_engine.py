"""Markdown and notebooks with the real engine: indented fences, doc snippets without imports, and line numbers
in messages that are the file's (Markdown) or the cell's (notebooks)."""

from __future__ import annotations

import json

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.formats import scan_file
from vllm_pooling_migrate.codemod.options import Options

FIX = Options(fix=True)

LIST_AND_TABS = """# Pooling models with vLLM

1. Start the server:

    ```bash
    vllm serve BAAI/bge-m3 --task embed
    ```

2. Or run it offline:

    ```python
    from vllm import LLM
    llm = LLM(model="BAAI/bge-m3", task="embed")
    ```

=== "Tokens"

\t```python
\tfrom vllm import LLM
\tllm = LLM("m")
\ttokens = llm.encode(["a"], pooling_task="token_embed")
\t```
"""


def test_fences_indented_in_lists_and_tabs_are_read_and_fixed_in_place():
    result = scan_file("doc.md", LIST_AND_TABS, FIX, check_python_source)
    assert [(f.code, f.location.row, f.location.column) for f in result.findings] == [
        ("POOL013", 6, 28),
        ("POOL001", 13, 36),  # at the `task=` keyword
        ("POOL005", 20, 8),
    ]
    assert result.fixed_source == LIST_AND_TABS.replace(
        "--task embed", "--runner pooling --convert embed"
    ).replace('task="embed")', 'runner="pooling", convert="embed")').replace(
        '\tfrom vllm import LLM\n\tllm = LLM("m")',
        '\tfrom vllm import LLM\n\tfrom vllm.config import PoolerConfig\n\tllm = LLM("m", pooler_config=PoolerConfig(task="token_embed"))',
    )
    assert result.remaining == []


def test_message_line_numbers_are_the_files():
    [finding] = scan_file("doc.md", LIST_AND_TABS, Options(select=("POOL005",)), check_python_source).findings
    assert "(line 21)" in finding.message  # the encode() call's row in the file, not row 3 of the block


SNIPPET = """# Embeddings with vLLM

```python
llm = LLM(model="intfloat/e5-small", task="embed")
tokens = llm.encode(texts, pooling_task="token_embed")
```
"""


def test_a_snippet_without_imports_in_a_vllm_document_is_checked_as_vllm_code():
    result = scan_file("doc.md", SNIPPET, FIX, check_python_source)
    assert sorted((f.code, f.location.row) for f in result.findings) == [("POOL001", 4), ("POOL005", 4)]
    assert "(line 5)" in next(f for f in result.findings if f.code == "POOL005").message
    # The snippet keeps its style: no import is added, PoolerConfig is used as LLM is.
    assert result.fixed_source == SNIPPET.replace(
        'task="embed")', 'runner="pooling", convert="embed", pooler_config=PoolerConfig(task="token_embed"))'
    )


def test_snippet_look_alikes_are_left_alone():
    other_library = SNIPPET.replace("# Embeddings with vLLM", "# Embeddings with LangChain").replace(
        "```python\n", "```python\nfrom langchain.llms import LLM\n"
    )
    assert scan_file("doc.md", other_library.replace("vLLM", "it"), FIX, check_python_source).findings == []
    not_about_vllm = SNIPPET.replace("vLLM", "our toolkit")
    assert scan_file("doc.md", not_about_vllm, FIX, check_python_source).findings == []
    own_class = SNIPPET.replace("```python\n", "```python\nclass LLM:\n    pass\n")
    assert scan_file("doc.md", own_class, FIX, check_python_source).findings == []


def _notebook(*sources: list[str]) -> str:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s} for s in sources]
    cells.insert(1, {"cell_type": "markdown", "metadata": {}, "source": ["Some text"]})
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def test_notebook_messages_cite_the_cell_and_its_line():
    text = _notebook(
        ["from vllm import LLM\n", "llm = LLM('m')\n"],
        ["x = 1\n", "vectors = llm.embed(['a'])\n"],
        ["tokens = llm.encode(['a'], pooling_task='token_embed')\n"],
    )
    [finding] = scan_file("n.ipynb", text, Options(), check_python_source).findings
    assert (finding.code, finding.cell, finding.location.row) == ("POOL004", 1, 2)
    assert "`embed` (cell 3, line 2); `token_embed` (cell 4, line 1)" in finding.message


def test_notebook_message_within_one_cell():
    text = _notebook(["from vllm import LLM\n", "llm = LLM('m')\n", "llm.encode(['a'], pooling_task='token_embed')\n"])
    [finding] = scan_file("n.ipynb", text, Options(), check_python_source).findings
    assert "(cell 1, line 3)" in finding.message


def test_document_pre_filter_reads_prose_routes_and_ray():
    from vllm_pooling_migrate.codemod.formats import FileKind, may_be_affected

    for kind in (FileKind.MARKDOWN, FileKind.NOTEBOOK):
        assert may_be_affected(kind, b"Serve embeddings with vLLM.\n")
        assert may_be_affected(kind, b'requests.post(f"{base}/v1/embeddings", json=body)\n')
        assert may_be_affected(kind, b"from ray.serve.llm import LLMConfig\n")
        assert not may_be_affected(kind, b"# Release notes\n\nNothing about serving models.\n")
