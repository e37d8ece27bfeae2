"""The README's two commands are what CI runs, and the quickstart works on the bundled examples."""

import json
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


# What the quickstart shows on examples/legacy/: every file kind it names (Python, shell, Dockerfile, Kubernetes
# YAML) has findings, and these are exactly the rule codes per file.
EXPECTED_LEGACY_FINDINGS = {
    "deploy/Dockerfile": {"POOL015"},
    "deploy/k8s.yaml": {"POOL017"},
    "deploy/serve.sh": {"POOL013", "POOL014", "POOL015"},
    "reranker.py": {"POOL001", "POOL005", "POOL009", "POOL010", "POOL011"},
    "retrieval.py": {"POOL003", "POOL004", "POOL007", "POOL010"},
}


def test_bundled_examples_have_findings_of_every_kind(tmp_path):
    from vllm_pooling_migrate.codemod.cli import main

    legacy = ROOT / "examples" / "legacy"
    report = tmp_path / "report.json"
    assert main(["--check", "--quiet", "--output-format", "json", "-o", str(report), str(legacy)]) == 1
    findings = json.loads(report.read_text())
    codes: dict[str, set[str]] = {}
    for finding in findings:
        name = Path(finding["filename"])
        relative = (name if name.is_absolute() else Path.cwd() / name).resolve().relative_to(legacy.resolve())
        codes.setdefault(relative.as_posix(), set()).add(finding["code"])
    assert codes == EXPECTED_LEGACY_FINDINGS
    every_file = {p.relative_to(legacy).as_posix() for p in legacy.rglob("*") if p.is_file()}
    assert every_file == set(EXPECTED_LEGACY_FINDINGS)  # no bundled file is silently clean
