"""``migrate-pooling``: ruff's command-line contract for vLLM's pooling migration.

Exit codes: 0 clean; 1 findings (with --check or --diff), or findings left that could not be fixed (fix
mode); 2 a tool error (bad arguments or config, a file that cannot be read or parsed). The run goes on past
a bad file and exits 2 at the end.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from vllm_pooling_migrate.codemod.rules import by_code
from vllm_pooling_migrate.codemod.config import CommandLine, ConfigError, build_options, load_config
from vllm_pooling_migrate.codemod.docs import rule_doc
from vllm_pooling_migrate.codemod.files import FileFinder
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.formats import add_noqa_to_file
from vllm_pooling_migrate.codemod.options import Options, parse_rule_codes
from vllm_pooling_migrate.codemod.output import (OUTPUT_FORMATS, format_diff_summary, format_statistics, format_summary,
                                                 render_findings, statistics, use_color)
from vllm_pooling_migrate.codemod.output.common import fixable_now
from vllm_pooling_migrate.codemod.output.diff import unified_diff
from vllm_pooling_migrate.codemod.runner import FileOutcome, ProgressBar, process_text, run_files
from vllm_pooling_migrate.codemod.writes import SourceError, SourceFile, write_source
from vllm_pooling_migrate.registry import BY_CODE, DEPRECATIONS, Version, parse_version

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """``--select POOL001,POOL005 --select POOL01`` -> a tuple; None when the flag was not given."""
    if not values:
        return None
    try:
        return parse_rule_codes(values)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _version(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_version(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--check", is_flag=True, help="Report findings and exit 1 if there are any; change nothing.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes whose right answer can depend on the model.")
@click.option("--target-version", callback=_version, help="vLLM version to migrate to (default: the project's vLLM requirement, else 0.21).")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable (comma-separated).")
@click.option("--output-format", type=click.Choice(OUTPUT_FORMATS), default="text", show_default=True)
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to a file.")
@click.option("--statistics", "show_statistics", is_flag=True, help="Count findings per rule instead of listing them.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain (errors still exit 2).")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("--show-fixes", is_flag=True, help="Show each fix next to its finding.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read settings from this TOML file.")
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` comments for every finding left.")
@click.option("--ignore-noqa", is_flag=True, help="Report findings even where `# noqa` suppresses them.")
@click.option("--force-exclude", is_flag=True, help="Apply excludes to files named on the command line too (pre-commit).")
@click.option("--no-respect-gitignore", is_flag=True, help="Also read files that .gitignore files exclude.")
@click.option("--stdin-filename", help="The name of the file read from `-` (decides its kind).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: all usable cores).")
@click.option("--from-report", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Limit the run to the files and codes of a shim usage report.")
def check_command(**flags: object) -> int:
    """Find and rewrite code written for vLLM's deprecated pooling multi-task API.

    PATHS are files or directories (default: the current directory); `-` reads standard input.
    """
    return run(Flags(**flags))  # type: ignore[arg-type]  # click passes exactly the options declared above


@dataclass(frozen=True)
class Flags:
    """The command line, as click parsed it."""

    paths: tuple[str, ...]
    check: bool
    diff: bool
    unsafe_fixes: bool
    target_version: Version | None
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    output_format: str
    output_file: Path | None
    show_statistics: bool
    exit_zero: bool
    quiet: bool
    show_fixes: bool
    list_rules: bool
    config_file: Path | None
    add_noqa: bool
    ignore_noqa: bool
    force_exclude: bool
    no_respect_gitignore: bool
    stdin_filename: str | None
    jobs: int | None
    from_report: Path | None


def run(flags: Flags) -> int:
    """Settle what to read and how, run the scanners, then hand the outcomes to the mode asked for."""
    if flags.list_rules:
        _print_rules()
        return EXIT_CLEAN
    select_codes, ignore_codes = _codes(flags.select), _codes(flags.ignore)
    paths = list(flags.paths) or ["."]
    if flags.from_report:
        report_paths, report_codes = _read_report(flags.from_report)
        paths = [p for p in report_paths if Path(p).exists()]
        select_codes = tuple(sorted(set(report_codes) & set(select_codes or report_codes)))
        if not paths or not select_codes:
            click.echo(f"{flags.from_report}: no file or code of the report is left to check", err=True)
            return EXIT_CLEAN
    start = Path(flags.stdin_filename or paths[0])
    try:
        config = load_config(start if start.exists() else Path.cwd(), flags.config_file)
    except ConfigError as error:
        click.echo(f"migrate-pooling: {error}", err=True)
        return EXIT_ERROR
    base = Options(fix=not flags.check, unsafe_fixes=flags.unsafe_fixes, ignore_noqa=flags.ignore_noqa)
    options, target_note = build_options(base, config, CommandLine(flags.target_version, select_codes, ignore_codes))
    if paths == ["-"]:
        return _run_stdin(options, flags)

    finder = FileFinder(config.root, exclude=config.exclude, extend_exclude=config.extend_exclude,
                        respect_gitignore=not flags.no_respect_gitignore, force_exclude=flags.force_exclude)
    discovery = finder.discover(paths)
    if not discovery.files and not discovery.errors and not flags.quiet:
        click.echo("migrate-pooling: no files to check under the given paths (all excluded, or gitignored: "
                   "see --no-respect-gitignore)", err=True)
    if not flags.quiet and flags.output_format == "text":
        click.echo(f"migrate-pooling: {target_note}", err=True)
    outcomes = run_files(discovery.files, options, config, flags.jobs, ProgressBar(len(discovery.files)))
    errors = list(discovery.errors) + [o.result.error for o in outcomes if o.result.error]
    scanned = [o for o in outcomes if not o.result.error]
    if flags.diff:
        mode = diff_mode
    elif flags.add_noqa:
        mode = add_noqa_mode
    elif flags.check:
        mode = check_mode
    else:
        mode = fix_mode
    return mode(scanned, flags, errors)


def check_mode(outcomes: list[FileOutcome], flags: Flags, errors: list[str]) -> int:
    """``--check``: report every finding, change nothing."""
    reported = [finding for outcome in outcomes for finding in outcome.result.findings]
    _report(reported, flags, errors, sources=_sources(outcomes, flags))
    return _exit_code(errors, flags, findings=bool(reported))


def fix_mode(outcomes: list[FileOutcome], flags: Flags, errors: list[str]) -> int:
    """The default: write every applicable fix, then report what is left (and with ``--show-fixes``, what was
    fixed, with the lines each fix changed)."""
    left: list[Finding] = []
    fixed: list[Finding] = []
    for outcome in outcomes:
        result = outcome.result
        if result.fixed_source is None:
            left.extend(result.findings)
            continue
        try:
            write_source(_source(outcome), result.fixed_source)
        except SourceError as error:
            errors.append(str(error))
            continue
        left.extend(result.remaining)
        fixed.extend(f for f in result.findings if fixable_now(f, flags.unsafe_fixes))
    if flags.show_fixes and fixed and flags.output_format == "text" and not flags.quiet:
        sources = _sources(outcomes, flags)
        listing = render_findings(fixed, "text", unsafe_fixes=flags.unsafe_fixes, show_fixes=True, sources=sources)
        click.echo(f"Fixed {len(fixed)} finding{'s' if len(fixed) != 1 else ''}:\n" + listing.rstrip("\n"), err=True)
    _report(left, flags, errors, fixed=len(fixed))
    return _exit_code(errors, flags, findings=bool(left))


def diff_mode(outcomes: list[FileOutcome], flags: Flags, errors: list[str]) -> int:
    """``--diff``: the fixes as a unified diff on stdout (pipeable to ``patch``); on stderr, the findings the diff
    does not fix (as ``--check`` shows them, located in the unchanged files) and the counts, which are those of
    ``--check``/``--statistics`` with the same flags."""
    findings: list[Finding] = []
    for outcome in outcomes:
        result = outcome.result
        findings.extend(result.findings)
        if result.fixed_source is not None:
            sys.stdout.write(_unified_diff(result.path, _source(outcome).text, result.fixed_source))
    if not flags.quiet:
        unfixed = [f for f in findings if not fixable_now(f, flags.unsafe_fixes)]
        if unfixed:
            listing = render_findings(unfixed, "text", color=use_color(sys.stderr), unsafe_fixes=flags.unsafe_fixes,
                                      show_fixes=flags.show_fixes, sources=_sources(outcomes, flags))
            click.echo(f"Not fixed by this diff ({len(unfixed)}):\n" + listing.rstrip("\n"), err=True)
        click.echo(format_diff_summary(findings, flags.unsafe_fixes), err=True)
    _print_errors(errors)
    return _exit_code(errors, flags, findings=bool(findings))


def add_noqa_mode(outcomes: list[FileOutcome], flags: Flags, errors: list[str]) -> int:
    """``--add-noqa``: fix what can be fixed (unless ``--check``), then suppress what is left with comments."""
    writing = not flags.check
    fixed_findings = 0
    for outcome in outcomes:
        result = outcome.result
        fixed = writing and result.fixed_source is not None
        left = result.remaining if fixed else result.findings
        if fixed:
            fixed_findings += len(result.findings) - len(left)
        if not left and not fixed:
            continue
        text = result.fixed_source if fixed and result.fixed_source is not None else _source(outcome).text
        try:
            write_source(_source(outcome), add_noqa_to_file(result.path, text, left) if left else text)
        except SourceError as error:
            errors.append(str(error))
    _report([], flags, errors, fixed=fixed_findings)
    return _exit_code(errors, flags, findings=False)


def _source(outcome: FileOutcome) -> SourceFile:
    assert outcome.source is not None, "a file with a result was decoded"  # process_file's contract
    return outcome.source


def _exit_code(errors: list[str], flags: Flags, *, findings: bool) -> int:
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if findings and not flags.exit_zero else EXIT_CLEAN


def _print_errors(errors: list[str]) -> None:
    for error in errors:
        click.echo(f"error: {error}", err=True)


def _run_stdin(options: Options, flags: Flags) -> int:
    filename = flags.stdin_filename or "stdin.py"
    writing = not (flags.check or flags.diff)
    text = sys.stdin.read()
    result = process_text(filename, text, options)
    if result.error:
        click.echo(f"error: {result.error}", err=True)
        if writing:
            sys.stdout.write(text)  # a formatter-style pipe must never lose the input
        return EXIT_ERROR
    if writing:
        sys.stdout.write(result.fixed_source if result.fixed_source is not None else text)
        left = result.remaining if result.fixed_source is not None else result.findings
        if left:
            click.echo(render_findings(left, flags.output_format), err=True)
        return EXIT_FINDINGS if left and not flags.exit_zero else EXIT_CLEAN
    if flags.diff:
        if result.fixed_source is not None:
            sys.stdout.write(_unified_diff(filename, text, result.fixed_source))
        unfixed = [f for f in result.findings if not fixable_now(f, flags.unsafe_fixes)]
        if unfixed and not flags.quiet:
            click.echo(render_findings(unfixed, "text", unsafe_fixes=flags.unsafe_fixes).rstrip("\n"), err=True)
    elif result.findings:
        click.echo(render_findings(result.findings, flags.output_format))
    changed = flags.diff and result.fixed_source is not None
    return EXIT_FINDINGS if (result.findings or changed) and not flags.exit_zero else EXIT_CLEAN


def _sources(outcomes: list[FileOutcome], flags: Flags) -> dict[str, str] | None:
    """The text of each file by path, for ``--show-fixes`` (which shows the lines a fix changes)."""
    if not flags.show_fixes:
        return None
    return {o.result.path: o.source.text for o in outcomes if o.source is not None}


def _unified_diff(path: str, before: str, after: str) -> str:
    lines = unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{path}", tofile=f"b/{path}"
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _report(
    findings: list[Finding], flags: Flags, errors: list[str], fixed: int = 0, sources: dict[str, str] | None = None
) -> None:
    """The findings in the chosen format (stdout or ``-o``), the summary and the errors on stderr."""
    if flags.show_statistics:
        text = format_statistics(statistics(findings, flags.unsafe_fixes),
                                 "json" if flags.output_format == "json" else "text")
    else:
        color = flags.output_format == "text" and flags.output_file is None and use_color(sys.stdout)
        text = render_findings(findings, flags.output_format, color=color, unsafe_fixes=flags.unsafe_fixes,
                               show_fixes=flags.show_fixes, sources=sources)
    if flags.output_file is not None:
        flags.output_file.write_text(text + ("\n" if text and not text.endswith("\n") else ""))
    elif text:
        click.echo(text.rstrip("\n"))
    quiet = flags.quiet or (bool(errors) and not findings)  # never "All checks passed!" next to an error
    if flags.output_format == "text" and not quiet:
        click.echo(format_summary(findings, flags.unsafe_fixes, fixed=fixed), err=True)
    _print_errors(errors)


def _print_rules() -> None:
    rules = by_code()
    for entry in DEPRECATIONS:
        marker = {"safe": "fix", "unsafe": "unsafe fix", "report": "report"}[entry.fix_class.value]
        available = "" if entry.code in rules else "  (no rule)"
        click.echo(f"{entry.code}  {entry.name:<34} {marker:<10} {entry.title}{available}")


def _read_report(path: Path) -> tuple[list[str], list[str]]:
    """Files and codes of a shim usage report (see docs/shim.md for the format)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise click.BadParameter(f"{path}: not a usage report: {error}") from None
    rows = data.get("sites", data) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise click.BadParameter(f"{path}: not a usage report: expected a list of sites")
    paths: list[str] = []
    codes: list[str] = []
    for row in rows:
        if not isinstance(row, dict) or "code" not in row or not ("path" in row or "file" in row):
            raise click.BadParameter(f"{path}: not a usage report: a row lacks code/path: {row!r}")
        if row.get("origin", "own") == "third-party":
            continue  # upgrade that dependency instead; its files are not ours to rewrite
        where = row.get("path") or row.get("file")
        if not isinstance(where, str):
            raise click.BadParameter(f"{path}: not a usage report: a row's path is not a string: {row!r}")
        paths.append(where)
        codes.append(row["code"])
    return sorted(set(paths)), sorted(set(codes))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("code")
def rule_command(code: str) -> int:
    """Print the documentation of one rule."""
    code = code.upper()
    rules = by_code()
    if code not in BY_CODE or code not in rules:
        click.echo(f"migrate-pooling: unknown rule {code!r} (see --list-rules)", err=True)
        return EXIT_ERROR
    click.echo(rule_doc(BY_CODE[code], rules[code]))
    return EXIT_CLEAN


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = rule_command if argv[:1] == ["rule"] else check_command
    if command is rule_command:
        argv = argv[1:]
    try:
        code = command.main(args=argv, prog_name="migrate-pooling", standalone_mode=False)
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.ClickException as error:
        error.show()
        return EXIT_ERROR
    except click.exceptions.Abort:
        return EXIT_ERROR
    return code if isinstance(code, int) else EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
