"""[tool.migrate-pooling] discovery, --config, precedence, errors, and target-version inference."""

from __future__ import annotations

from pathlib import Path

import pytest

from vllm_pooling_migrate.codemod.config import (
    CommandLine,
    Config,
    ConfigError,
    build_options,
    infer_target_version,
    load_config,
    lower_bound,
    options_for_file,
)
from vllm_pooling_migrate.codemod.options import Options


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PYPROJECT = """[project]
name = "app"
dependencies = ["numpy", "vllm[audio]>=0.19,<0.22"]

[tool.migrate-pooling]
select = ["POOL01"]
ignore = ["POOL013"]
extend-exclude = ["legacy/"]
per-file-ignores = { "scripts/*.sh" = ["POOL017"] }
"""


def test_nearest_pyproject_with_the_table_is_found_from_a_subdirectory(tmp_path):
    write(tmp_path / "pyproject.toml", PYPROJECT)
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'inner'\n")  # no table: skipped
    config = load_config(tmp_path / "pkg" / "sub")
    assert config.path == tmp_path / "pyproject.toml"
    assert config.root == tmp_path.resolve()
    assert config.select == ("POOL01",) and config.ignore == ("POOL013",)
    assert config.exclude is None and config.extend_exclude == ("legacy/",)


def test_no_config_gives_defaults_rooted_at_the_project(tmp_path):
    write(tmp_path / "requirements.txt", "vllm==0.20.1\n")
    config = load_config(tmp_path / "src")
    assert config.path is None and config.root == tmp_path.resolve()


def test_explicit_config_file_may_be_a_plain_toml(tmp_path):
    path = write(tmp_path / "ci" / "migrate.toml", 'target-version = "0.20"\nselect = ["POOL"]\n')
    config = load_config(tmp_path, path)
    assert config.target_version == (0, 20) and config.root == (tmp_path / "ci").resolve()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('target-version = "zero"', "[tool.migrate-pooling] target-version: not a version"),
        ('select = "POOL"', "[tool.migrate-pooling] select: expected a list of strings"),
        ("colour = true", "[tool.migrate-pooling] colour: unknown key"),
        ('per-file-ignores = { "a" = "POOL001" }', "per-file-ignores: expected a table"),
        # TOML reads 0.20 as the float 0.2: never migrate to a release nobody asked for.
        ("target-version = 0.20", "target-version: expected a quoted version such as \"0.21\", got 0.2 (float)"),
        ("target-version = 21", "target-version: expected a quoted version such as \"0.21\", got 21 (int)"),
        # A typo in a code is an error, as on the command line, not "every rule off, exit 0".
        ('select = ["POLL001"]', "[tool.migrate-pooling] select: 'POLL001' matches no rule code"),
        ('ignore = ["POOL999"]', "[tool.migrate-pooling] ignore: 'POOL999' matches no rule code"),
        ('per-file-ignores = { "tests/**" = ["POOL04"] }',
         "[tool.migrate-pooling] per-file-ignores 'tests/**': 'POOL04' matches no rule code"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path, body, message):
    path = write(tmp_path / "pyproject.toml", f"[tool.migrate-pooling]\n{body}\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert str(error.value).startswith(str(path)) and message in str(error.value)


def test_invalid_toml_and_missing_table_in_explicit_file(tmp_path):
    bad = write(tmp_path / "pyproject.toml", "[tool\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path, bad)
    empty = write(tmp_path / "other" / "pyproject.toml", "[project]\nname='x'\n")
    with pytest.raises(ConfigError, match="no \\[tool.migrate-pooling\\] table"):
        load_config(tmp_path, empty)


def test_precedence_cli_over_config_over_inferred_over_default(tmp_path):
    write(tmp_path / "pyproject.toml", PYPROJECT)
    config = load_config(tmp_path)
    options, note = build_options(Options(fix=True), config, CommandLine())
    assert options.target_version == (0, 19) and options.fix
    assert options.select == ("POOL01",) and options.ignore == ("POOL013",)
    assert "0.19" in note and "project.dependencies" in note and "vllm[audio]>=0.19,<0.22" in note

    cli = CommandLine(target_version=(0, 21), select=("POOL",), ignore=())
    options, note = build_options(Options(), config, cli)
    assert (options.target_version, options.select, options.ignore) == ((0, 21), ("POOL",), ())
    assert note == "target vLLM 0.21 (from --target-version)"

    pinned = Config(path=tmp_path / "pyproject.toml", root=tmp_path, target_version=(0, 20))
    assert build_options(Options(), pinned, CommandLine())[0].target_version == (0, 20)

    bare = Config(root=tmp_path / "nowhere")
    options, note = build_options(Options(), bare, CommandLine())
    assert options.target_version == Options().target_version and note.endswith("(from the default)")


def test_per_file_ignores(tmp_path):
    write(tmp_path / "pyproject.toml", PYPROJECT)
    config = load_config(tmp_path)
    assert config.ignored_codes(tmp_path / "scripts" / "serve.sh") == ("POOL017",)
    assert config.ignored_codes(tmp_path / "src" / "serve.sh") == ()
    options = options_for_file(Options(), config, tmp_path / "scripts" / "serve.sh")
    assert not options.enabled("POOL017") and options.enabled("POOL014")


@pytest.mark.parametrize(
    ("requirement", "version"),
    [
        ("vllm>=0.19,<0.22", (0, 19)),
        ("vllm==0.20.1", (0, 20, 1)),
        ("vllm ~= 0.19.0 ; python_version >= '3.10'", (0, 19, 0)),
        ("vllm==0.21.*", (0, 21)),
        ("vllm[audio]>0.18", (0, 18)),
        ("vllm", None),
        ("vllm<0.22", None),
        ("vllm-ascend>=0.19", None),
        ("torch>=2.4", None),
    ],
)
def test_lower_bound_of_a_requirement(requirement, version):
    assert lower_bound(requirement) == version


def test_inference_from_requirements_files_and_poetry(tmp_path):
    write(tmp_path / "requirements-dev.txt", "-r requirements.txt\n# vllm>=9\npytest\n")
    write(tmp_path / "requirements.txt", "torch\nvllm>=0.20  # the server\n")
    found = infer_target_version(tmp_path)
    assert found.version == (0, 20) and "requirements.txt" in found.source

    poetry = tmp_path / "poetry"
    write(poetry / "pyproject.toml", '[tool.poetry.dependencies]\nvllm = "^0.19.1"\n')
    found = infer_target_version(poetry)
    assert found.version == (0, 19, 1) and "tool.poetry.dependencies.vllm" in found.source

    assert infer_target_version(tmp_path / "empty") is None


def test_config_codes_are_normalised_like_the_command_line(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.migrate-pooling]\nselect = ["pool01, POOL020"]\n'
          'per-file-ignores = { "t/*" = ["pool005"] }\n')
    config = load_config(tmp_path)
    assert config.select == ("POOL01", "POOL020")
    assert config.per_file_ignores == {"t/*": ("POOL005",)}


def test_a_typo_in_the_config_is_exit_2_not_a_clean_run(tmp_path):
    from vllm_pooling_migrate.codemod.cli import main

    write(tmp_path / "pyproject.toml", '[tool.migrate-pooling]\nselect = ["POLL"]\n')
    write(tmp_path / "app.py", "from vllm import LLM\nLLM('m', task='embed')\n")
    assert main(["--check", str(tmp_path / "app.py")]) == 2
