"""# noqa parsing, matching on any statement line, the file marker, and --add-noqa."""

from __future__ import annotations

from vllm_pooling_migrate.codemod.finding import Finding, Location
from vllm_pooling_migrate.codemod.noqa import add_noqa, is_suppressed, parse_noqa


def finding(code: str, row: int, rows: tuple[int, int] | None = None) -> Finding:
    return Finding(code, "m", "f", Location(row, 1), Location(row, 2), statement_rows=rows)


def test_bare_and_coded_noqa():
    noqa = parse_noqa("a  # noqa\nb  # noqa: POOL013, pool014\nc  # NOQA:POOL015\n")
    assert is_suppressed(finding("POOL001", 1), noqa)
    assert is_suppressed(finding("POOL014", 2), noqa)
    assert not is_suppressed(finding("POOL015", 2), noqa)
    assert is_suppressed(finding("POOL015", 3), noqa)


def test_noqa_on_any_line_of_the_statement():
    noqa = parse_noqa("vllm serve M \\\n  --task embed \\\n  --port 1  # noqa: POOL013\n")
    assert is_suppressed(finding("POOL013", 2, (1, 3)), noqa)
    assert not is_suppressed(finding("POOL013", 2), noqa)


def test_file_marker_with_and_without_codes():
    assert is_suppressed(finding("POOL001", 9), parse_noqa("# migrate-pooling: noqa\nx = 1\n"))
    marker = parse_noqa("x = 1\n# migrate-pooling: noqa: POOL013\n")
    assert is_suppressed(finding("POOL013", 1), marker)
    assert not is_suppressed(finding("POOL014", 1), marker)
    assert not parse_noqa("x = 1  # migrate-pooling: noqa\n").file_marker  # only on a line of its own


def test_python_noqa_inside_a_string_does_not_count():
    noqa = parse_noqa('s = "# noqa"\nt = 1  # noqa: POOL001\n', python=True)
    assert not is_suppressed(finding("POOL001", 1), noqa)
    assert is_suppressed(finding("POOL001", 2), noqa)


def test_unparsable_python_falls_back_to_lines():
    assert is_suppressed(finding("POOL001", 1), parse_noqa("x = (  # noqa\n", python=True))


def test_add_noqa_appends_extends_and_keeps_comments_and_crlf():
    text = "a = 1\r\nb = 2  # keep\r\nc = 3  # noqa: POOL001\r\n"
    found = [finding("POOL013", 1), finding("POOL014", 1), finding("POOL002", 2), finding("POOL003", 3)]
    assert add_noqa(text, found) == (
        "a = 1  # noqa: POOL013, POOL014\r\nb = 2  # keep  # noqa: POOL002\r\nc = 3  # noqa: POOL001, POOL003\r\n"
    )


def test_add_noqa_skips_backslash_continuations():
    text = "vllm serve M \\\n  --task embed\n"
    assert add_noqa(text, [finding("POOL013", 2, (1, 2))]) == "vllm serve M \\\n  --task embed  # noqa: POOL013\n"


def test_add_noqa_in_python_avoids_lines_inside_triple_quoted_strings():
    text = 'x = f("""\nvllm\n""", task="embed")\n'
    fixed = add_noqa(text, [finding("POOL001", 1, (1, 3))], python=True)
    assert fixed == 'x = f("""\nvllm\n""", task="embed")  # noqa: POOL001\n'
    assert is_suppressed(finding("POOL001", 1, (1, 3)), parse_noqa(fixed, python=True))


def test_add_noqa_leaves_suppressed_findings_alone_and_is_idempotent():
    text = "a = 1  # noqa\n"
    assert add_noqa(text, [finding("POOL001", 1)]) == text
    once = add_noqa("a = 1\n", [finding("POOL001", 1)])
    assert add_noqa(once, [finding("POOL001", 1)]) == once
