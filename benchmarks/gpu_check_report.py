"""The one figures table of ``benchmarks/gpu_check.sh``, read from the logs its steps left in one folder.

Each step ``S`` leaves ``S.status`` (``ok``, ``failed: …`` or ``skipped: …``) and ``S.log`` (its output). Figures
are taken from the tables that ``bench_engine.py`` and ``bench_server.py`` print, and from the JSON line of
``bench_mfu.py``. A step that did not run, or whose output lacks a figure, shows its status instead.

    python benchmarks/gpu_check_report.py LOG_DIR --elapsed 312 --mode cuda
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

STEPS = ("environment", "cuda-tests", "engine-vs-st", "mfu-base", "server")

_ENGINE_ROW = re.compile(
    r"^(?P<label>(?:sentence-transformers|runtime) \([^)]*\))\s+(?P<batch>\d+)\s+(?P<texts>[\d.]+)\s+"
    r"(?P<tokens>\d+)\s+(?P<ratio>[\d.]+)\s+(?P<best>[\d.]+)\s+(?P<rss>\d+)\s+(?P<cos>[-\d.]+)$")
_ENGINE_MFU = re.compile(r"^\s+(?P<gpu>.+?): (?P<tflops>[\d.]+) TFLOP/s, MFU (?P<mfu>.+?), peak GPU memory "
                         r"(?P<mem>\d+) MB$")
_SERVER_OFFLINE = re.compile(r"offline engine: (?P<rate>[\d.]+) texts/s")
_SERVER_ROW = re.compile(
    r"^vllm-pooling-serve\s+(?P<clients>\d+)\s+(?P<texts>[\d.]+)\s+(?P<x>[\d.]+)\s+(?P<p50>[\d.]+|nan)\s+"
    r"(?P<p99>[\d.]+|nan)\s+(?P<lost>\d+)\s+(?P<wrong>\d+)\s+(?P<unsent>\d+)$")
_PYTEST_SUMMARY = re.compile(r"=+ (?P<summary>.*(?:passed|failed|skipped|error|deselected).*?) =+$")


def parse_engine(text: str) -> dict:
    """System rows of bench_engine's table, each with the MFU line that follows it on CUDA."""
    systems: list[dict] = []
    for line in text.splitlines():
        if row := _ENGINE_ROW.match(line.rstrip()):
            systems.append(row.groupdict())
        elif (mfu := _ENGINE_MFU.match(line.rstrip())) and systems:
            systems[-1]["mfu"] = mfu.groupdict()
    return {"systems": systems}


def parse_server(text: str) -> dict:
    offline = _SERVER_OFFLINE.search(text)
    rows = [row.groupdict() for line in text.splitlines() if (row := _SERVER_ROW.match(line.rstrip()))]
    return {"offline": offline["rate"] if offline else None, "rows": rows}


def parse_mfu(text: str) -> dict | None:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def parse_pytest(text: str) -> str | None:
    for line in reversed(text.splitlines()):
        if summary := _PYTEST_SUMMARY.match(line.strip()):
            return re.sub(r" in [\d.]+s.*$", "", summary["summary"])
    return None


def _read(folder: Path, step: str, suffix: str) -> str:
    path = folder / f"{step}.{suffix}"
    return path.read_text(errors="replace").strip() if path.exists() else ""


def figures(folder: Path) -> list[tuple[str, str, str]]:
    """``(step, figure, value)`` rows, in step order."""
    rows: list[tuple[str, str, str]] = []
    status = {step: _read(folder, step, "status") or "not run" for step in STEPS}
    rows.append(("environment", "status", status["environment"]))
    if note := _read(folder, "environment", "log"):
        for line in note.splitlines():
            if line.startswith(("device:", "python:", "torch:", "installed:", "missing:")):
                key, _, value = line.partition(":")
                rows.append(("environment", key, value.strip()))

    tests = parse_pytest(_read(folder, "cuda-tests", "log")) if status["cuda-tests"] != "not run" else None
    rows.append(("cuda-tests", "result", tests if tests and status["cuda-tests"] == "ok" else
                 f"{status['cuda-tests']}" + (f" ({tests})" if tests else "")))

    engine = parse_engine(_read(folder, "engine-vs-st", "log"))["systems"]
    if status["engine-vs-st"] != "ok" or not engine:
        rows.append(("engine-vs-st", "status", status["engine-vs-st"]))
    for system in engine:
        rows.append(("engine-vs-st", f"{system['label']} texts/s", system["texts"]))
        if system["label"].startswith("runtime"):
            rows.append(("engine-vs-st", f"{system['label']} / sentence-transformers", f"{system['ratio']}x "
                         f"(best round {system['best']}x)"))
            rows.append(("engine-vs-st", f"{system['label']} min cosine to sentence-transformers", system["cos"]))
        if "mfu" in system:
            mfu = system["mfu"]
            rows.append(("engine-vs-st", f"{system['label']} MFU (MiniLM-L6)", f"{mfu['mfu']}; "
                         f"{mfu['tflops']} TFLOP/s; peak GPU memory {mfu['mem']} MB"))

    mfu_base = parse_mfu(_read(folder, "mfu-base", "log"))
    if status["mfu-base"] != "ok" or not mfu_base:
        rows.append(("mfu-base", "status", status["mfu-base"]))
    if mfu_base:
        share = f"{100 * mfu_base['mfu']:.1f}% of {mfu_base['peak_tflops']:.0f} TFLOP/s" if mfu_base["mfu"] else \
            "n/a (no GPU peak)"
        rows.append(("mfu-base", f"{mfu_base['model']} on {mfu_base['device']} ({mfu_base['dtype']})",
                     f"{mfu_base['tflops']:.2f} TFLOP/s, MFU {share}, {mfu_base['tokens'] / mfu_base['seconds']:.0f} "
                     "tokens/s"))

    server = parse_server(_read(folder, "server", "log"))
    if status["server"] != "ok" or not server["rows"]:
        rows.append(("server", "status", status["server"]))
    if server["offline"]:
        rows.append(("server", "offline engine texts/s", server["offline"]))
    for row in server["rows"]:
        rows.append(("server", f"{row['clients']} clients: texts/s (x offline), p50/p99 ms",
                     f"{row['texts']} ({row['x']}x), {row['p50']}/{row['p99']}"))
    if server["rows"]:
        lost = sum(int(r["lost"]) for r in server["rows"])
        wrong = sum(int(r["wrong"]) for r in server["rows"])
        rows.append(("server", "lost / wrong requests", f"{lost} / {wrong}"))
    return rows


def render(rows: list[tuple[str, str, str]], title: str) -> str:
    widths = [max(len(r[i]) for r in rows + [("step", "figure", "value")]) for i in range(2)]
    lines = [title, f"{'step':<{widths[0]}}  {'figure':<{widths[1]}}  value",
             f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 5}"]
    lines += [f"{step:<{widths[0]}}  {figure:<{widths[1]}}  {value}" for step, figure, value in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log_dir", type=Path)
    parser.add_argument("--elapsed", type=int, default=None)
    parser.add_argument("--mode", default="cuda", choices=["cuda", "dry-run"])
    args = parser.parse_args()
    rows = figures(args.log_dir)
    if args.elapsed is not None:
        rows.append(("total", "elapsed", f"{args.elapsed} s"))
    mode = "CUDA" if args.mode == "cuda" else "dry run (CPU, tiny sizes)"
    print(render(rows, f"== GPU readiness figures: {mode} =="))


if __name__ == "__main__":
    main()
