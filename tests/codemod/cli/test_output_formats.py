"""Output formats, parsed structurally, and --statistics."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import io
import json

import pytest

from vllm_pooling_migrate.codemod.finding import Edit, Finding, Fix, Location
from vllm_pooling_migrate.codemod.output import OUTPUT_FORMATS, format_statistics, format_summary, render_findings, statistics, use_color
from vllm_pooling_migrate.registry import BY_CODE, DEPRECATIONS, FixClass

SAFE = Finding(
    "POOL014",
    "`--override-pooler-config` was renamed",
    "deploy/serve.sh",
    Location(3, 5),
    Location(3, 29),
    Fix(FixClass.SAFE, "Rename to `--pooler-config`", (Edit("", Location(3, 7), Location(3, 16)),)),
    statement_rows=(2, 4),
)
UNSAFE = Finding(
    "POOL013",
    "`--task embed` was removed, 100% gone",
    "deploy/serve.sh",
    Location(2, 14),
    Location(2, 26),
    Fix(FixClass.UNSAFE, "Replace", (Edit("--runner pooling --convert", Location(2, 14), Location(2, 20)),)),
)
REPORT = Finding(
    "POOL005", "implicit task", "nb.ipynb", Location(2, 1), Location(2, 9), unfixable_reason="receiver escapes", cell=3
)
FINDINGS = [SAFE, REPORT, UNSAFE]


def test_text_lines_are_sorted_and_marked_like_ruff():
    assert render_findings(FINDINGS, "text") == (
        "deploy/serve.sh:2:14: POOL013 `--task embed` was removed, 100% gone\n"
        "deploy/serve.sh:3:5: POOL014 [*] `--override-pooler-config` was renamed\n"
        "nb.ipynb:cell 3:2:1: POOL005 implicit task\n"
    )
    assert "POOL013 [*]" in render_findings(FINDINGS, "text", unsafe_fixes=True)


def test_text_show_fixes_and_colour():
    shown = render_findings([SAFE, REPORT], "text", show_fixes=True)
    assert "  help: Rename to `--pooler-config` (safe fix)" in shown
    assert "  note: not fixed: receiver escapes" in shown
    coloured = render_findings([SAFE], "text", color=True)
    assert "\x1b[" in coloured and "\x1b[" not in render_findings([SAFE], "text")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_follows_the_terminal_and_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert use_color(_Terminal()) and not use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(_Terminal())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert use_color(io.StringIO())


def test_summary_counts_fixable_and_hidden_unsafe_fixes():
    assert format_summary(FINDINGS) == (
        "Found 3 findings.\n[*] 1 fixable by running migrate-pooling without --check.\n"
        "(1 hidden fix can be enabled with --unsafe-fixes.)\n"
    )
    assert format_summary([], fixed=2) == "Fixed 2 findings.\n"
    assert format_summary([]) == "All checks passed!\n"


def test_json_has_ruffs_shape():
    items = json.loads(render_findings(FINDINGS, "json"))
    assert [item["code"] for item in items] == ["POOL013", "POOL014", "POOL005"]
    for item in items:
        assert set(item) >= {"cell", "code", "name", "filename", "location", "end_location", "message", "noqa_row"}
        assert set(item["location"]) == {"row", "column"}
        # A link that resolves for an installed user: the page shipped inside the package.
        assert item["url"].startswith("file://") and item["url"].endswith(f"/rule_docs/{item['code']}.md")
        page = Path(urllib.parse.unquote(urllib.parse.urlparse(item["url"]).path))
        assert page.read_text().startswith("<!-- Generated") and f"# {item['code']} " in page.read_text()
        assert item["name"] == BY_CODE[item["code"]].name
    safe = items[1]
    assert safe["noqa_row"] == 2 and safe["filename"] == "deploy/serve.sh" and safe["cell"] is None
    assert safe["fix"] == {
        "applicability": "safe",
        "message": "Rename to `--pooler-config`",
        "edits": [{"content": "", "location": {"row": 3, "column": 7}, "end_location": {"row": 3, "column": 16}}],
    }
    assert items[0]["fix"]["applicability"] == "unsafe"
    assert items[2]["fix"] is None and items[2]["cell"] == 3
    assert json.loads(render_findings([], "json")) == []


def test_github_annotations_escape_their_data():
    lines = render_findings(FINDINGS, "github").splitlines()
    assert lines[0] == (
        "::error file=deploy/serve.sh,line=2,col=14,endLine=2,endColumn=26,title=POOL013::"
        "deploy/serve.sh:2:14: POOL013 `--task embed` was removed, 100%25 gone"
    )
    assert lines[2].startswith("::error file=nb.ipynb,line=2,col=1,") and "nb.ipynb:cell 3:2:1:" in lines[2]


def test_sarif_is_2_1_0_with_registry_rules_and_fixes():
    log = json.loads(render_findings(FINDINGS, "sarif"))
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "migrate-pooling"
    assert [rule["id"] for rule in driver["rules"]] == [entry.code for entry in DEPRECATIONS]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["helpUri"].endswith(f"{rule['id']}.md")
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["POOL013", "POOL014", "POOL005"]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert set(location["region"]) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert result["level"] == "error" and result["message"]["text"]
    [fix] = results[1]["fixes"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "deploy/serve.sh"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 3, "startColumn": 7, "endLine": 3, "endColumn": 16},
            "insertedContent": {"text": ""},
        }
    ]
    assert "fixes" not in results[2] and results[2]["properties"] == {"cell": 3}


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="text, json, github, sarif"):
        render_findings(FINDINGS, "xml")
    assert OUTPUT_FORMATS == ("text", "json", "github", "sarif")


def test_statistics_table_and_json():
    rows = statistics([SAFE, SAFE, UNSAFE, REPORT])
    assert [(r.code, r.count, r.fixable) for r in rows] == [("POOL014", 2, 2), ("POOL005", 1, 0), ("POOL013", 1, 0)]
    assert format_statistics(rows).splitlines()[0] == "2\tPOOL014\t2 fixable\tcli-override-pooler-config"
    assert json.loads(format_statistics(rows, "json"))[0] == {
        "code": "POOL014",
        "name": "cli-override-pooler-config",
        "count": 2,
        "fixable": 2,
    }
    assert statistics([UNSAFE], unsafe_fixes=True)[0].fixable == 1
    assert format_statistics([]) == ""
