"""The command-line contract: exit codes, modes, stdin, errors that name the file, reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vllm_pooling_migrate.codemod.cli import main

# POOL005 (default selection): a token-level task, which is not an ordinary model's default.
LEGACY = 'from vllm import LLM\nllm = LLM("m")\nllm.encode(["a"], pooling_task="token_embed")\n'
FIXED = ('from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="token_embed"))\n'
         'llm.encode(["a"], pooling_task="token_embed")\n')
REPORT_ONLY = 'from vllm import LLM\nllm = LLM("m")\nllm.encode(["a"])\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\ndependencies = ["vllm>=0.21"]\n')
    return tmp_path


def run(*args: str) -> int:
    return main(list(args))


def test_check_exit_codes(project, capsys):
    (project / "clean.py").write_text("import vllm\nprint(vllm.__version__)\n")
    assert run("--check", "clean.py") == 0
    (project / "legacy.py").write_text(LEGACY)
    assert run("--check", ".") == 1
    out = capsys.readouterr()
    assert "legacy.py:2:7: POOL005" in out.out
    assert "target vLLM 0.21 (from " in out.err and "pyproject.toml: project.dependencies" in out.err
    assert (project / "legacy.py").read_text() == LEGACY  # --check writes nothing
    assert run("--check", "--exit-zero", ".") == 0


def test_fix_mode_writes_and_exits_0_when_everything_was_fixed(project):
    (project / "legacy.py").write_text(LEGACY)
    assert run("legacy.py") == 0
    assert (project / "legacy.py").read_text() == FIXED
    assert run("--check", "legacy.py") == 0


def test_fix_mode_exits_1_when_findings_remain(project, capsys):
    (project / "legacy.py").write_text(REPORT_ONLY)
    assert run("legacy.py") == 1
    assert "POOL006" in capsys.readouterr().out


def test_diff_writes_nothing_and_exits_1(project, capsys):
    (project / "legacy.py").write_text(LEGACY)
    assert run("--diff", "legacy.py") == 1
    out = capsys.readouterr().out
    assert out.startswith("--- a/legacy.py\n+++ b/legacy.py\n")
    assert '+llm = LLM("m", pooler_config=PoolerConfig(task="token_embed"))' in out
    assert (project / "legacy.py").read_text() == LEGACY


def test_diff_summary_says_what_a_fix_run_would_fix_as_ruff_does(project, capsys):
    (project / "legacy.py").write_text(LEGACY)
    (project / "manual.py").write_text(REPORT_ONLY)
    assert run("--diff", ".") == 1
    err = capsys.readouterr().err
    assert "Would fix 1 finding.\n" in err
    assert "1 finding would remain for a change by hand." in err
    assert "Found" not in err  # the diff run's words are ruff's, not --check's
    assert run("--diff", "manual.py") == 1  # a finding is still a finding
    assert "No findings would be fixed." in capsys.readouterr().err


def test_parse_error_in_one_file_among_many(project, capsys):
    (project / "a.py").write_text(LEGACY)
    (project / "broken.py").write_text("import vllm\ndef f(:\n")
    (project / "c.py").write_text(LEGACY)
    assert run(".") == 2
    err = capsys.readouterr().err
    assert "broken.py:2" in err
    assert (project / "a.py").read_text() == FIXED and (project / "c.py").read_text() == FIXED
    assert (project / "broken.py").read_text() == "import vllm\ndef f(:\n"


def test_missing_path_is_an_error_naming_it(project, capsys):
    assert run("--check", "nope.py") == 2
    assert "nope.py" in capsys.readouterr().err


def test_select_and_ignore(project, capsys):
    (project / "legacy.py").write_text(LEGACY + "llm2 = LLM('x')\nllm2.reward(['a'])\n")
    assert run("--check", "--select", "POOL009", "legacy.py") == 1
    out = capsys.readouterr().out
    assert "POOL009" in out and "POOL005" not in out
    assert run("--check", "--ignore", "POOL00", "legacy.py") == 0
    assert run("--check", "--select", "NOPE1", "legacy.py") == 2


def test_target_version_gates_findings_and_fixes(project, capsys):
    (project / "legacy.py").write_text(LEGACY)
    assert run("--check", "--target-version", "0.18", "legacy.py") == 0
    assert run("--target-version", "nonsense", "legacy.py") == 2


def test_json_output_to_file(project):
    (project / "legacy.py").write_text(LEGACY)
    assert run("--check", "--output-format", "json", "-o", "report.json", "legacy.py") == 1
    findings = json.loads((project / "report.json").read_text())
    assert [f["code"] for f in findings] == ["POOL005"]
    assert findings[0]["fix"]["applicability"] == "safe"


def test_statistics(project, capsys):
    (project / "legacy.py").write_text(LEGACY)
    assert run("--check", "--statistics", "legacy.py") == 1
    assert "POOL005" in capsys.readouterr().out


def test_stdin_fix_prints_the_fixed_source(project, monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(LEGACY))
    assert run("-", "--stdin-filename", "x.py") == 0
    assert capsys.readouterr().out == FIXED


def test_add_noqa_then_clean(project):
    (project / "legacy.py").write_text(REPORT_ONLY)
    assert run("--add-noqa", "legacy.py") == 0
    assert "# noqa: POOL006" in (project / "legacy.py").read_text()
    assert run("--check", "legacy.py") == 0
    assert run("--check", "--ignore-noqa", "legacy.py") == 1


def test_from_report_limits_files_and_codes(project, capsys):
    (project / "seen.py").write_text(LEGACY + "llm.reward(['a'])\n")
    (project / "unseen.py").write_text(LEGACY)
    report = [{"code": "POOL009", "path": str(project / "seen.py"), "line": 4, "count": 2, "origin": "own"}]
    (project / "report.json").write_text(json.dumps(report))
    assert run("--check", "--from-report", "report.json") == 1
    out = capsys.readouterr().out
    assert "seen.py:4:1: POOL009" in out and "unseen.py" not in out and "POOL005" not in out


def test_list_rules_and_rule_doc(capsys):
    assert run("--list-rules") == 0
    assert "POOL005" in capsys.readouterr().out
    assert main(["rule", "POOL009"]) == 0
    assert "# POOL009 `llm-reward`" in capsys.readouterr().out
    assert main(["rule", "POOL999"]) == 2


def test_console_script_exit_code(project):
    (project / "legacy.py").write_text(LEGACY)
    exe = Path(sys.executable).with_name("migrate-pooling")
    done = subprocess.run([str(exe), "--check", "legacy.py"], capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 1, done.stderr
    assert "POOL005" in done.stdout


def test_parallel_run_matches_serial(project):
    for index in range(30):
        (project / f"m{index}.py").write_text(LEGACY if index % 3 else "import os\n")
    assert run("--check", "-j", "2", "--output-format", "json", "-o", "par.json", ".") == 1
    assert run("--check", "-j", "1", "--output-format", "json", "-o", "ser.json", ".") == 1
    assert json.loads((project / "par.json").read_text()) == json.loads((project / "ser.json").read_text())


def test_typo_spelling_of_the_task_is_renamed_not_duplicated(project):
    (project / "typo.py").write_text(
        'from vllm import LLM\nfrom vllm.config import PoolerConfig\n'
        'llm = LLM("m", pooler_config=PoolerConfig(pooling_task="token_embed"))\nllm.encode(x, pooling_task="token_embed")\n'
    )
    assert run("typo.py") == 0
    assert 'PoolerConfig(task="token_embed")' in (project / "typo.py").read_text()


def test_a_fix_that_would_not_compile_leaves_the_file_unchanged():
    import libcst as cst

    from vllm_pooling_migrate.codemod.python.fix_proof import verify_fixed_source

    original = cst.parse_module("f(a=1)\n")
    assert "would not compile" in verify_fixed_source(original, "f(a=1, a=2)\n")
    assert verify_fixed_source(original, "f(a=1, b=2)\n") is None


def test_warns_when_every_file_is_excluded(project, capsys):
    (project / "generated").mkdir()
    (project / "generated" / ".gitignore").write_text("*\n")  # as virtualenvs write it
    (project / "generated" / "legacy.py").write_text(LEGACY)
    assert run("--check", "generated") == 0
    assert "no files to check" in capsys.readouterr().err
    assert run("--check", "--no-respect-gitignore", "generated") == 1


def test_logit_scale_literals_of_every_form(project):
    (project / "cfg.py").write_text(
        "from vllm.config import PoolerConfig\na = PoolerConfig(logit_scale=0x10)\nb = PoolerConfig(logit_scale=1e-320)\n"
    )
    assert run("cfg.py") == 0  # the overflowing one becomes 1 / (1e-320): safe, vLLM refuses 0 itself
    text = (project / "cfg.py").read_text()
    assert "logit_sigma=0.0625" in text and "logit_sigma=1 / (1e-320)" in text


def test_internal_error_in_one_file_is_exit_2_and_the_others_are_fixed(project, monkeypatch, capsys):
    from vllm_pooling_migrate.codemod import runner

    real = runner.scan_file

    def flaky(path, text, options, check_python):
        if path.endswith("boom.py"):
            raise RuntimeError("simulated")
        return real(path, text, options, check_python)

    monkeypatch.setattr(runner, "scan_file", flaky)
    (project / "boom.py").write_text(LEGACY)
    (project / "ok.py").write_text(LEGACY)
    assert run("-j", "1", ".") == 2
    assert "boom.py: internal error (RuntimeError: simulated)" in capsys.readouterr().err
    assert (project / "ok.py").read_text() == FIXED and (project / "boom.py").read_text() == LEGACY
