"""The README's two commands are what CI runs, and the quickstart works on the bundled examples."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quickstart)


def test_readme_has_exactly_two_setup_commands():
    assert len(_commands()) == 2


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    install, tests = _commands()
    assert install.split(" && ")[-1] in ci  # the quickstart itself
    assert tests.split("&& ", 1)[1].replace(". .venv/bin/activate && ", "") in ci


def test_bundled_examples_have_findings_of_every_kind():
    from vllm_pooling_migrate.codemod.cli import main

    assert main(["--check", "--quiet", "--output-format", "json", "-o", "/dev/null", str(ROOT / "examples" / "legacy")]) == 1
