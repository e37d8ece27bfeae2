"""The usage report: hits counted past warning filters, the table at exit, JSON, fork and spawn workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

from vllm_pooling_migrate.shim import PoolerConfig, report

REPO = Path(__file__).resolve().parents[2]


def run_script(tmp_path: Path, source: str, **env: str) -> subprocess.CompletedProcess:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(source))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POOLING_SHIM_")}
    environment.update(env)
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_hits_hidden_by_warning_filters_are_still_counted():
    before = report.snapshot()
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")  # Python shows a repeat at one line only once
        for _ in range(3):
            PoolerConfig(logit_bias=1.0)
    line = sys._getframe().f_lineno - 1
    assert len(shown) == 1
    assert (report.snapshot() - before) == {("POOL011", __file__, line): 3}


def test_table_at_exit_and_json_report(tmp_path):
    result = run_script(tmp_path, """\
        from vllm_pooling_migrate.shim import PoolerConfig
        for _ in range(3):
            PoolerConfig(logit_bias=1.0)
        PoolerConfig(normalize=True)
    """, POOLING_SHIM_REPORT=str(tmp_path / "report.json"))
    assert result.returncode == 0, result.stderr
    table = result.stderr[result.stderr.index("pooling shim: 2 deprecated"):].splitlines()
    assert table[1].split() == ["POOL011", "app.py:3", "x3", "own", "removed", "in", "0.23", "fix:",
                                "migrate-pooling", "--select", "POOL011", "app.py"]
    assert table[2].split()[:3] == ["POOL010", "app.py:4", "x1"]
    document = json.loads((tmp_path / "report.json").read_text())
    assert document["format"] == "pooling-shim-report/1" and document["target_version"] == "0.20"
    assert document["sites"][0] == {
        "code": "POOL011", "path": str(tmp_path / "app.py"), "line": 3, "count": 3, "origin": "own",
        "package": None, "title": "`logit_bias`/`logit_scale` were replaced by `logit_mean`/`logit_sigma`",
        "removed_in": "0.23", "fix": "migrate-pooling --select POOL011 app.py"}


def test_nothing_is_printed_or_written_without_hits(tmp_path):
    result = run_script(tmp_path, "import vllm_pooling_migrate.shim\n", POOLING_SHIM_REPORT=str(tmp_path / "report.json"))
    assert result.returncode == 0 and "pooling shim" not in result.stderr
    assert not (tmp_path / "report.json").exists()


def test_stderr_table_can_be_silenced(tmp_path):
    result = run_script(tmp_path, "from vllm_pooling_migrate.shim import PoolerConfig\nPoolerConfig(logit_bias=1.0)\n",
                        POOLING_SHIM_REPORT_STDERR="0")
    assert "pooling shim:" not in result.stderr and "POOL011: " in result.stderr  # the warning itself still shows


WORKER_SCRIPT = """\
    import multiprocessing, sys
    from vllm_pooling_migrate.shim import PoolerConfig

    def work(n):
        for _ in range(n):
            PoolerConfig(logit_bias=1.0)

    if __name__ == "__main__":
        context = multiprocessing.get_context(sys.argv[1] if len(sys.argv) > 1 else "{method}")
        workers = [context.Process(target=work, args=(2,)) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        PoolerConfig(normalize=True)
"""


def test_hits_in_forked_and_spawned_workers_reach_the_parents_report(tmp_path):
    for method in ("fork", "spawn"):
        result = run_script(tmp_path, WORKER_SCRIPT.format(method=method),
                            POOLING_SHIM_REPORT=str(tmp_path / f"{method}.json"), PYTHONWARNINGS="ignore")
        assert result.returncode == 0, result.stderr
        sites = {(s["code"], s["line"]): s["count"] for s in json.loads((tmp_path / f"{method}.json").read_text())["sites"]}
        assert sites == {("POOL011", 6): 4, ("POOL010", 15): 1}, method
        assert result.stderr.count("pooling shim:") == 1  # workers do not print their own table


def test_third_party_sites_name_their_package(tmp_path):
    package = tmp_path / "site-packages" / "vendored_lib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from vllm_pooling_migrate.shim import PoolerConfig\nPoolerConfig(logit_bias=1.0)\n")
    result = run_script(tmp_path, f"import sys\nsys.path.insert(0, {str(package.parent)!r})\nimport vendored_lib\n",
                        POOLING_SHIM_REPORT=str(tmp_path / "report.json"))
    [site] = json.loads((tmp_path / "report.json").read_text())["sites"]
    assert (site["origin"], site["package"], site["line"]) == ("third-party", "vendored_lib", 2)
    assert "third-party (vendored_lib)" in result.stderr


def test_a_site_named_for_what_was_seen_is_kept_as_is():
    before = report.snapshot()
    report.record("POOL019", "<http POST /pooling>", 0)
    report.record("POOL019", "relative/app.py", 3)
    new = report.snapshot() - before
    assert new == {("POOL019", "<http POST /pooling>", 0): 1, ("POOL019", os.path.abspath("relative/app.py"), 3): 1}


def test_record_counts_adds_each_hit_and_writes_them_to_the_parent_spool(tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    monkeypatch.setattr(report, "_parent_spool", str(spool))
    assert report.parent_spool() == str(spool)
    before = report.snapshot()
    report.record_counts([("POOL019", "<http POST /pooling>", 0, 3), ("POOL001", "/abs/app.py", 7, 1),
                          ("POOL001", "/abs/app.py", 8, 0)])
    assert report.snapshot() - before == {("POOL019", "<http POST /pooling>", 0): 3, ("POOL001", "/abs/app.py", 7): 1}
    lines = (spool / f"{os.getpid()}.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [["POOL019", "<http POST /pooling>", 0]] * 3 + [
        ["POOL001", "/abs/app.py", 7]]


def test_parent_spool_is_none_in_a_top_level_process(tmp_path):
    result = run_script(tmp_path, """
        from vllm_pooling_migrate.shim import report
        print(report.parent_spool())
    """)
    assert result.stdout.strip() == "None", result.stderr
