"""Configuration: ``[tool.migrate-pooling]`` in the nearest ``pyproject.toml``, or ``--config FILE``.

Precedence, highest first: command-line flags, the config file, the target version inferred from
the project's vLLM requirement (``project.dependencies``, Poetry dependencies, ``requirements*.txt``),
the built-in defaults. Every error names the file and the key.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import pathspec

from vllm_pooling_migrate.codemod.options import Options, parse_rule_codes
from vllm_pooling_migrate.registry import Version, format_version, parse_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    # mypy checks this branch (python_version = 3.10) in an environment that may lack tomli (a 3.10-only
    # dependency); where tomli is installed the ignore is unused, hence unused-ignore too.
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

SECTION = "migrate-pooling"
KNOWN_KEYS = frozenset({"target-version", "select", "ignore", "exclude", "extend-exclude", "per-file-ignores"})


class ConfigError(ValueError):
    """A configuration problem; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # the file the settings came from (None: no config file)
    root: Path = field(default_factory=Path.cwd)  # its directory: excludes and per-file-ignores are relative to it
    target_version: Version | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None  # None: the default excludes
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def ignored_codes(self, path: str | Path) -> tuple[str, ...]:
        """Codes ``per-file-ignores`` switches off for ``path`` (globs relative to the config's directory)."""
        relative = _relative_posix(Path(path), self.root)
        return tuple(code for spec, codes in self._per_file_specs for code in codes if spec.match_file(relative))

    @cached_property
    def _per_file_specs(self) -> list[tuple[pathspec.GitIgnoreSpec, tuple[str, ...]]]:
        return [(pathspec.GitIgnoreSpec.from_lines([glob]), codes) for glob, codes in self.per_file_ignores.items()]


@dataclass(frozen=True)
class TargetVersion:
    version: Version
    source: str  # human-readable origin, e.g. "requirements.txt: vllm>=0.19,<0.22"


def _relative_posix(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _section(data: dict, path: Path) -> dict | None:
    """The tool's table: ``[tool.migrate-pooling]`` in a pyproject.toml, the whole file otherwise."""
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get(SECTION)
        if section is not None and not isinstance(section, dict):
            raise ConfigError(f"{path}: [tool.{SECTION}] must be a table")
        return section
    return data


def find_config_file(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` holding ``[tool.migrate-pooling]``, from ``start`` upwards."""
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory.resolve(), *directory.resolve().parents):
        candidate = candidate_dir / "pyproject.toml"
        if candidate.is_file() and _section(_read_toml(candidate), candidate) is not None:
            return candidate
    return None


def find_project_root(start: Path) -> Path:
    """The directory of the nearest ``pyproject.toml`` (or a ``requirements*.txt``); ``start`` itself if none."""
    directory = (start if start.is_dir() else start.parent).resolve()
    for candidate in (directory, *directory.parents):
        if (candidate / "pyproject.toml").is_file() or any(candidate.glob("requirements*.txt")):
            return candidate
    return directory


def load_config(start: Path, config_file: Path | None = None) -> Config:
    """Read ``config_file`` (``--config``) or discover the nearest config from ``start``."""
    path = config_file or find_config_file(start)
    if path is None:
        return Config(root=find_project_root(start))
    section = _section(_read_toml(path), path)
    if section is None:
        raise ConfigError(f"{path}: no [tool.{SECTION}] table")
    return _parse_section(section, path)


def _where(path: Path, key: str) -> str:
    table = f"[tool.{SECTION}] " if path.name == "pyproject.toml" else ""
    return f"{path}: {table}{key}"


def _string_list(section: dict, key: str, path: Path) -> tuple[str, ...] | None:
    if key not in section:
        return None
    value = section[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{_where(path, key)}: expected a list of strings, got {value!r}")
    return tuple(value)


def _target_version(section: dict, path: Path) -> Version | None:
    if "target-version" not in section:
        return None
    value = section["target-version"]
    if not isinstance(value, str):
        # TOML reads 0.20 as the float 0.2: taking it would silently migrate to the wrong release.
        raise ConfigError(
            f'{_where(path, "target-version")}: expected a quoted version such as "0.21", got {value!r} '
            f"({type(value).__name__}); write it in quotes"
        )
    try:
        return parse_version(value)
    except ValueError as error:
        raise ConfigError(f"{_where(path, 'target-version')}: {error}") from None


def _rule_codes(section: dict, key: str, path: Path) -> tuple[str, ...] | None:
    """``select``/``ignore``: validated exactly as on the command line."""
    values = _string_list(section, key, path)
    if values is None:
        return None
    try:
        return parse_rule_codes(values)
    except ValueError as error:
        raise ConfigError(f"{_where(path, key)}: {error}") from None


def _per_file_ignores(section: dict, path: Path) -> dict[str, tuple[str, ...]]:
    per_file = section.get("per-file-ignores", {})
    if not isinstance(per_file, dict) or not all(
        isinstance(codes, list) and all(isinstance(c, str) for c in codes) for codes in per_file.values()
    ):
        raise ConfigError(f"{_where(path, 'per-file-ignores')}: expected a table of glob = [codes]")
    parsed = {}
    for glob, codes in per_file.items():
        try:
            parsed[glob] = parse_rule_codes(codes)
        except ValueError as error:
            raise ConfigError(f"{_where(path, 'per-file-ignores')} {glob!r}: {error}") from None
    return parsed


def _parse_section(section: dict, path: Path) -> Config:
    unknown = sorted(set(section) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{_where(path, unknown[0])}: unknown key (known: {', '.join(sorted(KNOWN_KEYS))})")
    return Config(
        path=path,
        root=path.parent.resolve(),
        target_version=_target_version(section, path),
        select=_rule_codes(section, "select", path),
        ignore=_rule_codes(section, "ignore", path),
        exclude=_string_list(section, "exclude", path),
        extend_exclude=_string_list(section, "extend-exclude", path) or (),
        per_file_ignores=_per_file_ignores(section, path),
    )


# --- the target version from the project's vLLM requirement ---------------------------------------

_REQUIREMENT = re.compile(r"^\s*vllm(?:\s*\[[^\]]*\])?\s*(?P<specifiers>[^;#]*)", re.IGNORECASE)
_SPECIFIER = re.compile(r"(===|==|~=|>=|>|<=|<|!=)\s*v?([0-9][0-9.]*)(\.\*)?")


def lower_bound(requirement: str) -> Version | None:
    """The lowest vLLM version a requirement allows: ``vllm>=0.19,<0.22`` -> 0.19; ``vllm==0.20.1`` -> 0.20.1.

    None for another package, or when nothing bounds vLLM from below (``vllm``, ``vllm<0.22``).
    """
    match = _REQUIREMENT.match(requirement)
    if not match or re.match(r"vllm[\w.-]", requirement.strip(), re.IGNORECASE):
        return None
    bounds = [
        parse_version(version.rstrip("."))
        for operator, version, _ in _SPECIFIER.findall(match.group("specifiers"))
        if operator in ("===", "==", "~=", ">=", ">")
    ]
    return max(bounds) if bounds else None


def _from_requirements(lines: list[str]) -> tuple[Version, str] | None:
    for line in lines:
        bound = lower_bound(line)
        if bound is not None:
            return bound, line.strip()
    return None


def infer_target_version(root: Path) -> TargetVersion | None:
    """Read the vLLM requirement of the project at ``root``; None when there is none with a lower bound."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        data = _read_toml(pyproject)
        found = _from_requirements([d for d in data.get("project", {}).get("dependencies", []) if isinstance(d, str)])
        if found:
            return TargetVersion(found[0], f"{pyproject}: project.dependencies {found[1]!r}")
        poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("vllm")
        spec = poetry.get("version") if isinstance(poetry, dict) else poetry
        if isinstance(spec, str):
            spec = spec.strip()
            # Poetry's "^0.19", "~0.19" and bare "0.19" all start at that version.
            bare = spec[:1] in ("^", "~") and spec[1:2] != "=" or spec[:1].isdigit()
            found = _from_requirements([f"vllm>={spec.lstrip('^~')}" if bare else f"vllm{spec}"])
            if found:
                return TargetVersion(found[0], f"{pyproject}: tool.poetry.dependencies.vllm {spec!r}")
    for requirements in sorted(root.glob("requirements*.txt")):
        lines = requirements.read_text(encoding="utf-8", errors="replace").splitlines()
        found = _from_requirements([line for line in lines if not line.lstrip().startswith(("-", "#"))])
        if found:
            return TargetVersion(found[0], f"{requirements}: {found[1]!r}")
    return None


# --- putting it together --------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandLine:
    """The flags that overlap the config file; None means "not given"."""

    target_version: Version | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None


def build_options(base: Options, config: Config, cli: CommandLine) -> tuple[Options, str]:
    """Options for the run and a note saying where the target version came from.

    ``base`` carries what only the command line sets (fix, unsafe_fixes, ignore_noqa).
    """
    if cli.target_version is not None:
        target, source = cli.target_version, "--target-version"
    elif config.target_version is not None:
        target, source = config.target_version, f"{config.path}: target-version"
    else:
        inferred = infer_target_version(config.root)
        if inferred is not None:
            target, source = inferred.version, inferred.source
        else:
            target, source = base.target_version, "the default"
    options = replace(
        base,
        target_version=target,
        select=cli.select if cli.select is not None else config.select or base.select,
        ignore=cli.ignore if cli.ignore is not None else config.ignore or base.ignore,
    )
    return options, f"target vLLM {format_version(target)} (from {source})"


def options_for_file(options: Options, config: Config, path: str | Path) -> Options:
    """``options`` with the file's ``per-file-ignores`` added to ``ignore``."""
    extra = config.ignored_codes(path)
    return replace(options, ignore=options.ignore + extra) if extra else options
