"""benchmarks/corpus_eval.py: findings are matched to hand-written verdicts by file line, notebooks included."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import corpus_eval  # noqa: E402

NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Embeddings\n", "LLM(task='embed') in prose\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["from vllm import LLM\n", "llm = LLM(\n", "    model='m',\n", "    task='embed',\n", ")\n"]},
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_a_notebook_finding_is_placed_at_the_line_of_the_stored_file(tmp_path):
    path = tmp_path / "nb.ipynb"
    text = json.dumps(NOTEBOOK, indent=1)
    path.write_text(text)
    line = corpus_eval.notebook_file_line(path, cell=2, row=4)
    assert text.splitlines()[line - 1].strip() == '"    task=\'embed\',\\n",'


def test_a_location_outside_the_notebook_gives_no_line(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(NOTEBOOK, indent=1))
    assert corpus_eval.notebook_file_line(path, cell=2, row=99) == 0
    assert corpus_eval.notebook_file_line(path, cell=7, row=1) == 0
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert corpus_eval.notebook_file_line(tmp_path / "broken.ipynb", cell=1, row=1) == 0


def test_findings_pair_with_the_nearest_verdict_within_the_window():
    verdicts = [corpus_eval.Verdict(path="a.py", line=10, code="POOL001", safe_fix=True, why="")]
    near = corpus_eval.Finding(path="a.py", line=12, code="POOL001", fixable=True, message="")
    far = corpus_eval.Finding(path="a.py", line=40, code="POOL001", fixable=True, message="")
    corpus_eval.match(verdicts, [far, near], window=12)
    assert verdicts[0].matched == [near] and far.verdict is None


def test_a_second_finding_of_one_code_on_a_matched_line_is_no_false_positive():
    verdicts = [corpus_eval.Verdict(path="a.py", line=5, code="POOL010", safe_fix=False, why="")]
    first = corpus_eval.Finding(path="a.py", line=5, code="POOL010", fixable=False, message="normalize")
    second = corpus_eval.Finding(path="a.py", line=5, code="POOL010", fixable=False, message="softmax")
    elsewhere = corpus_eval.Finding(path="a.py", line=30, code="POOL010", fixable=False, message="normalize")
    corpus_eval.match(verdicts, [first, second, elsewhere], window=12)
    assert first.verdict is verdicts[0] and second.verdict is verdicts[0] and elsewhere.verdict is None
