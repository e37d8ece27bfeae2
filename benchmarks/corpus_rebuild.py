"""Rebuild a real-code corpus folder from its pinned source list (stdlib only).

Each listed line of a sources file (``docs/corpus/sources.md``, ``docs/corpus/holdout_sources.md``)
has one of two shapes::

    - `<corpus path>` ← <owner/repo>, commit <sha>, `<path in repo>`, <licence>
    - `<corpus path>` ← vllm-project/vllm, tag v<X>, `<path>`, <licence>

Third-party lines are read with ``git show <sha>:<path>`` from a bare git mirror found under
``--mirrors`` (layout ``<owner>+<name>/...``, the git directory anywhere inside it). vLLM release
lines are copied from unpacked PyPI sdists under ``--vllm-trees`` (``vllm-<X>/<path>``; the sdist of
``vllm==X`` is the tree at tag ``vX``). A file neither source yields is taken from ``--fallback``
(a folder laid out like the corpus, e.g. files saved from the public index) when given.
Bytes are written unchanged. A summary is printed: files written per source, files missing, and
files in the destination that the list does not name. Exit status 1 when anything is missing.

    python benchmarks/corpus_rebuild.py docs/corpus/sources.md /work/corpus \\
        --vllm-trees /tmp/vllm-trees --fallback /tmp/readfile
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

LINE = re.compile(
    r"^- `(?P<dst>[^`]+)` ← (?P<repo>[^\s,]+), "
    r"(?:commit (?P<commit>[0-9a-f]{7,40})|tag v(?P<tag>[0-9][0-9A-Za-z.+-]*)), `(?P<src>[^`]+)`"
)


def parse_sources(path: Path) -> list[dict[str, str]]:
    """Return one dict per listed file; raise on a listed line of unknown shape."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("- `"):
            continue
        match = LINE.match(line)
        if match is None:
            raise SystemExit(f"{path}:{number}: line of unknown shape: {line}")
        entries.append({k: v for k, v in match.groupdict().items() if v is not None})
    return entries


def find_git_dir(mirrors: Path, repo: str, cache: dict[str, Path | None]) -> Path | None:
    """The git directory of ``owner/name`` under ``mirrors/owner+name`` (bare or with .git)."""
    if repo not in cache:
        root = mirrors / repo.replace("/", "+")
        found = None
        if root.is_dir():
            candidates = [root, *sorted(p.parent for p in root.rglob("HEAD") if p.is_file())]
            for cand in candidates:
                if (cand / "HEAD").is_file() and (cand / "objects").is_dir():
                    found = cand
                    break
        cache[repo] = found
    return cache[repo]


def git_show(git_dir: Path, commit: str, path: str) -> bytes | None:
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"],
        capture_output=True,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None


def fetch_entry(entry, mirrors, trees, fallback, cache) -> tuple[bytes | None, str, str]:
    """Return (data, source label, reason when missing)."""
    reason = ""
    if "tag" in entry:
        src = trees / f"vllm-{entry['tag']}" / entry["src"] if trees else None
        if src is not None and src.is_file():
            return src.read_bytes(), "vllm-sdist", ""
        reason = f"not in {src}" if src else "no --vllm-trees given"
    else:
        git_dir = find_git_dir(mirrors, entry["repo"], cache)
        if git_dir is None:
            reason = f"no mirror of {entry['repo']} under {mirrors}"
        else:
            data = git_show(git_dir, entry["commit"], entry["src"])
            if data is not None:
                return data, "git", ""
            reason = f"{entry['commit'][:12]}:{entry['src']} not in {git_dir}"
    if fallback is not None and (fallback / entry["dst"]).is_file():
        return (fallback / entry["dst"]).read_bytes(), "fallback", ""
    return None, "", reason


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sources", type=Path, help="sources file, e.g. docs/corpus/sources.md")
    parser.add_argument("dest", type=Path, help="corpus folder to (re)build")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                        help="folder of git mirrors, owner+name/... (default /work/.mirror)")
    parser.add_argument("--vllm-trees", type=Path, default=None,
                        help="folder holding unpacked vLLM sdists as vllm-<X>/")
    parser.add_argument("--fallback", type=Path, default=None,
                        help="folder laid out like the corpus, used when a file is found nowhere else")
    args = parser.parse_args(argv)

    entries = parse_sources(args.sources)
    dests = [e["dst"] for e in entries]
    if len(set(dests)) != len(dests):
        raise SystemExit("sources file lists a corpus path twice")
    cache: dict[str, Path | None] = {}
    counts: dict[str, int] = {}
    fallback_used: list[str] = []
    missing: list[tuple[str, str]] = []
    for entry in entries:
        data, label, reason = fetch_entry(entry, args.mirrors, args.vllm_trees, args.fallback, cache)
        if data is None:
            missing.append((entry["dst"], reason))
            continue
        out = args.dest / entry["dst"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        counts[label] = counts.get(label, 0) + 1
        if label == "fallback":
            fallback_used.append(entry["dst"])

    listed = set(dests)
    extra = sorted(
        str(p.relative_to(args.dest)) for p in args.dest.rglob("*")
        if p.is_file() and str(p.relative_to(args.dest)) not in listed
    ) if args.dest.is_dir() else []
    written = sum(counts.values())
    detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"{args.sources}: {len(entries)} listed, {written} written to {args.dest} ({detail})")
    for dst in fallback_used:
        print(f"  from fallback: {dst}")
    for dst, reason in missing:
        print(f"  MISSING {dst}: {reason}")
    for dst in extra:
        print(f"  EXTRA (not listed) {dst}")
    print(f"missing: {len(missing)}, extra: {len(extra)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
