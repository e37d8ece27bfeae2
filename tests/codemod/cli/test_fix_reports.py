"""What a user sees about fixes: ``--show-fixes`` shows the lines each fix changes, ``--diff`` also lists what it
does not fix, and "N fixable" is one number whichever mode asks for it."""

from __future__ import annotations

import json
import re

import pytest

from vllm_pooling_migrate.codemod.cli import main

PYTHON = (
    "from vllm import LLM\n"
    "from vllm.config import PoolerConfig\n"
    'llm = LLM("m", pooler_config=PoolerConfig(logit_scale=0.0, softmax=False))\n'
    'llm.classify(["a"])\n'
    'other = LLM("m2", override_pooler_config={"pooling_type": "CLS"})\n'
    'other.encode(["b"], pooling_task="token_embed")\n'
)
SHELL = (
    "vllm serve m --task score --override-pooler-config '{\"normalize\": false}'\n"
    "vllm serve m2 --pooler-config '{\"task\": \"embed\"}' --pooler-config.pooling_type MEAN --convert reward\n"
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(PYTHON)
    (tmp_path / "serve.sh").write_text(SHELL)
    return tmp_path


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_show_fixes_shows_the_changed_lines(project, capsys):
    _, out, _ = _run(capsys, "--check", "--show-fixes", ".")
    assert (
        'app.py:5:19: POOL003 [*] `override_pooler_config=` was renamed `pooler_config=` (removed in vLLM 0.12)\n'
        "  help: safe fix\n"
        '    5 - other = LLM("m2", override_pooler_config={"pooling_type": "CLS"})\n'
        '    5 + other = LLM("m2", pooler_config=PoolerConfig(pooling_type="CLS"))\n'
    ) in out
    assert (
        "  help: Rename to `--pooler-config` (safe fix)\n"
        "    1 - vllm serve m --task score --override-pooler-config '{\"normalize\": false}'\n"
        "    1 + vllm serve m --task score --pooler-config '{\"normalize\": false}'\n"
    ) in out
    assert "  note: apply with --unsafe-fixes" in out  # POOL018's merge is unsafe
    assert (project / "app.py").read_text() == PYTHON


def test_show_fixes_shows_an_added_import_where_it_goes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text('from vllm import LLM\nllm = LLM("m")\nllm.encode(["a"], pooling_task="token_embed")\n')
    _, out, _ = _run(capsys, "--check", "--show-fixes", "a.py")
    assert "    2 + from vllm.config import PoolerConfig\n" in out
    assert '    2 + llm = LLM("m", pooler_config=PoolerConfig(task="token_embed"))\n' in out


def test_fix_mode_show_fixes_lists_what_was_fixed(project, capsys):
    _, _, err = _run(capsys, "--show-fixes", "app.py")
    assert "Fixed 3 findings:\napp.py:3:60: POOL010 [*]" in err  # POOL010, POOL003 and POOL005's pin
    assert '    5 + other = LLM("m2", pooler_config=PoolerConfig(pooling_type="CLS"))' in err


def test_diff_lists_the_findings_it_does_not_fix(project, capsys):
    code, out, err = _run(capsys, "--diff", ".")
    assert code == 1 and out.startswith("--- a/app.py\n")
    listed = err[err.index("Not fixed by this diff"):]
    assert "app.py:3:43: POOL011" in listed and "serve.sh:2:15: POOL018" in listed
    assert "POOL003" not in listed and "POOL013" not in listed


def _fixable_counts(capsys, unsafe: bool) -> dict[str, int]:
    extra = ["--unsafe-fixes"] if unsafe else []
    _, _, check_err = _run(capsys, "--check", *extra, ".")
    _, stats, _ = _run(capsys, "--check", "--statistics", "--output-format", "json", *extra, ".")
    _, _, diff_err = _run(capsys, "--diff", *extra, ".")
    _, listing, _ = _run(capsys, "--check", "--output-format", "json", *extra, ".")
    return {
        "check": int(re.search(r"\[\*\] (\d+) fixable", check_err).group(1)),
        "statistics": sum(row["fixable"] for row in json.loads(stats)),
        "diff": int(re.search(r"Would fix (\d+) finding", diff_err).group(1)),
        "total": len(json.loads(listing)),
    }


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fixable_counts_agree_between_modes(project, capsys, unsafe):
    counts = _fixable_counts(capsys, unsafe)
    assert (counts["check"], counts["statistics"], counts["diff"], counts["total"]) == ((8, 8, 8, 9) if unsafe else (7, 7, 7, 9))


def test_a_fix_the_proof_rejects_is_not_counted_anywhere(project, capsys, monkeypatch):
    from vllm_pooling_migrate.codemod.python import fix_proof

    real = fix_proof.verify_fixed_source

    def reject_pooler_config_fix(original, new_source):
        return "simulated conflict" if 'PoolerConfig(pooling_type="CLS")' in new_source else real(original, new_source)

    monkeypatch.setattr(fix_proof, "verify_fixed_source", reject_pooler_config_fix)
    counts = _fixable_counts(capsys, unsafe=False)
    assert (counts["check"], counts["statistics"], counts["diff"]) == (6, 6, 6)


def test_json_report_is_written_a_finding_at_a_time_with_the_same_text():
    from vllm_pooling_migrate.codemod.finding import Edit, Finding, Fix, Location
    from vllm_pooling_migrate.codemod.output.json_format import finding_to_dict, format_json
    from vllm_pooling_migrate.registry import FixClass

    findings = [
        Finding("POOL003", 'renamed\n"x" ö', "a.py", Location(1, 2), Location(1, 5),
                Fix(FixClass.SAFE, "safe fix", (Edit("a\nb", Location(1, 1), Location(2, 1)),)), statement_rows=(1, 2)),
        Finding("POOL004", "several tasks", "a.py", Location(3, 2), Location(3, 5)),
    ]
    assert format_json(findings) == json.dumps([finding_to_dict(f) for f in findings], indent=2, ensure_ascii=False) + "\n"
    assert format_json([]) == "[]\n"


def test_fixed_counts_the_command_lines_a_later_pass_rewrites(tmp_path, capsys, monkeypatch):
    # Argv edits wait for a pass without CST fixes; they are still fixes of this run, reported where they were.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "launch.py").write_text(
        "import os\nfrom vllm import LLM\n\n"
        'def load():\n    return LLM("m", task="embed")\n\n'
        'def serve():\n    os.system("vllm serve m --task embed")\n'
    )
    _, _, err = _run(capsys, "--show-fixes", "launch.py")
    assert "Fixed 2 findings:\nlaunch.py:5:21: POOL001 [*]" in err
    assert "launch.py:8:29: POOL013 [*]" in err
    assert 'os.system("vllm serve m --runner pooling --convert embed")' in (tmp_path / "launch.py").read_text()
