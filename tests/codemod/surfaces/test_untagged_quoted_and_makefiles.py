"""Untagged Markdown fences, fences inside blockquotes, and Makefile recipes (fake Python engine from conftest)."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.formats import FileKind, file_kind, may_be_affected, scan_file
from vllm_pooling_migrate.codemod.options import Options

FIX = Options(fix=True)


def found(result) -> list[tuple[str, int, int]]:
    return [(f.code, f.location.row, f.location.column) for f in result.findings]


UNTAGGED = """# Serve

```
export CUDA_VISIBLE_DEVICES=0
nohup vllm serve "$MODEL" \\
  --task score \\
  --port 8000 &
```

```
from vllm import LLM
llm = LEGACY
```
"""

UNTAGGED_CLEAN = """# Not commands

```
The old flag was --task score; vllm serve now takes --runner pooling.
llm = LEGACY
```

```
from vllm import LLM
llm = LEGACY(  # does not parse: skipped
```

```
mytool serve M --task score
```
"""


def test_untagged_fence_of_vllm_commands_is_shell_and_of_vllm_python_is_python(check_python):
    result = scan_file("README.md", UNTAGGED, Options(), check_python)
    assert found(result) == [("POOL013", 6, 3), ("POOL001", 12, 7)]
    fixed = scan_file("README.md", UNTAGGED, FIX, check_python)
    assert fixed.fixed_source is not None
    assert "--task score" not in fixed.fixed_source and "llm = MODERN" in fixed.fixed_source


def test_untagged_fence_that_is_neither_is_skipped(check_python):
    assert scan_file("README.md", UNTAGGED_CLEAN, Options(), check_python).findings == []


QUOTED = """> **Note**
>
> ```bash
> vllm serve M \\
>   --task embed
> ```
>
> ```python
> from vllm import LLM
> llm = LEGACY
> ```

After the quote.
"""

QUOTED_CLEAN = """> ```bash
> vllm serve M --runner pooling --convert embed
> ```

```bash
echo "--task embed is what the quote above replaced"
```
"""


def test_fence_inside_a_blockquote_is_read_at_the_files_rows_and_reported_without_fix(check_python):
    result = scan_file("README.md", QUOTED, FIX, check_python)
    assert found(result) == [("POOL013", 5, 5), ("POOL001", 10, 9)]
    assert all(f.fix is None and "blockquote" in (f.unfixable_reason or "") for f in result.findings)
    assert result.fixed_source is None


def test_clean_blockquote_fence_gives_nothing(check_python):
    assert scan_file("README.md", QUOTED_CLEAN, Options(), check_python).findings == []


def test_a_quoted_fence_ends_with_the_quote(check_python):
    text = "> ```bash\n> echo hi\n\nvllm serve M --task embed\n"
    assert scan_file("README.md", text, Options(), check_python).findings == []


@pytest.mark.parametrize(
    ("path", "kind"),
    [("Makefile", FileKind.MAKEFILE), ("sub/GNUmakefile", FileKind.MAKEFILE), ("rules/serve.mk", FileKind.MAKEFILE),
     ("Makefile.py", FileKind.PYTHON), ("make.txt", None)],
)
def test_makefile_kinds(path, kind):
    assert file_kind(path) is kind


MAKEFILE = """IMAGE ?= vllm/vllm-openai:v0.8.0
TASK := score  # a make variable, not a command

.PHONY: serve
serve:
\t@echo "serving $(MODEL)"
\tdocker run --gpus $(GPU) --rm \\
\t  -e HF_TOKEN=$$HF_TOKEN \\
\t  $(IMAGE) \\
\t  python -m vllm.entrypoints.openai.api_server \\
\t    --model $(MODEL) \\
\t    --task score \\
\t    --dtype auto

local: ; echo skipped
\t-vllm serve $(MODEL) --task=embed
"""

MAKEFILE_CLEAN = """# vllm serve M --task score  (a comment)
ARGS = --task score
.PHONY: serve
serve:
\tvllm serve $(MODEL) --runner pooling --convert embed $(ARGS)
\techo "--task score" > notes.txt
"""


def test_makefile_recipes_are_scanned_report_only():
    result = scan_file("Makefile", MAKEFILE, FIX, None)
    assert [(f.code, f.location.row) for f in result.findings] == [("POOL013", 12), ("POOL013", 16)]
    assert all(f.fix is None and f.unfixable_reason for f in result.findings)
    assert result.fixed_source is None
    assert may_be_affected(FileKind.MAKEFILE, MAKEFILE.encode())


def test_clean_makefile_gives_nothing():
    assert scan_file("Makefile", MAKEFILE_CLEAN, Options(), None).findings == []
