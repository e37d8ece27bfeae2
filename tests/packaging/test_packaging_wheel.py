"""The wheel: one top-level package, every source folder in it, entry points into the namespace, and every
third-party import of the light part (codemod/, core/) declared as a dependency without extras."""

from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "vllm_pooling_migrate"
#: Repository folder -> its place in the installed package (pyproject's [tool.setuptools.package-dir]).
FOLDERS = {"core": PACKAGE, "codemod": f"{PACKAGE}/codemod", "shim": f"{PACKAGE}/shim", "runtime": f"{PACKAGE}/runtime"}
#: The light part: what `pip install vllm-pooling-migrate` (no extras) must be able to run.
LIGHT_FOLDERS = ("core", "codemod")
#: Not copied into the build: virtual environments, build outputs and caches.
IGNORE = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
                                ".pytest_cache", ".mypy_cache", "*.pyc")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """One wheel per session, built from a copy of the working tree (an in-tree build would share build/ with
    other builds and could pack stale files from it)."""
    source = tmp_path_factory.mktemp("wheel_source") / "project"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as archive:
        yield archive


def _dist_info(wheel: zipfile.ZipFile) -> str:
    (name,) = {n.split("/")[0] for n in wheel.namelist() if n.split("/")[0].endswith(".dist-info")}
    return name


def test_the_wheel_installs_exactly_one_top_level_package(wheel):
    top_level = {name.split("/")[0] for name in wheel.namelist()}
    dist_info = _dist_info(wheel)
    assert re.fullmatch(rf"{PACKAGE}-[^-/]+\.dist-info", dist_info)
    assert top_level == {PACKAGE, dist_info}  # no tests/, no codemod/, shim/ or runtime/ beside it
    assert wheel.read(f"{dist_info}/top_level.txt").decode().split() == [PACKAGE]


def _python_folders() -> dict[str, Path]:
    """Installed package path -> repository folder, for every folder of codemod/ shim/ runtime/ core/ with .py files."""
    found = {}
    for folder, installed in FOLDERS.items():
        for file in (ROOT / folder).rglob("*.py"):
            if "__pycache__" in file.parts:
                continue
            relative = file.parent.relative_to(ROOT / folder)
            found[(Path(installed) / relative).as_posix()] = file.parent
    return found


def test_every_source_folder_and_file_is_in_the_wheel(wheel):
    names = set(wheel.namelist())
    folders = _python_folders()
    assert f"{PACKAGE}/codemod/rules" in folders  # the walk saw the sub-packages
    missing_packages = sorted(f.replace("/", ".") for f in folders if f"{f}/__init__.py" not in names)
    assert not missing_packages, f"not in the wheel; add to [tool.setuptools] packages in pyproject.toml: " \
        f"{', '.join(missing_packages)}"
    for installed, folder in folders.items():
        sources = {p.name for p in folder.glob("*.py")}
        packed = {n.rsplit("/", 1)[1] for n in names if n.rsplit("/", 1)[0] == installed and n.endswith(".py")}
        assert packed == sources, installed


def test_the_entry_points_point_into_the_namespace(wheel):
    entry_points = configparser.ConfigParser(delimiters=("=",))
    entry_points.optionxform = str  # keep names as written
    entry_points.read_string(wheel.read(f"{_dist_info(wheel)}/entry_points.txt").decode())
    assert dict(entry_points["console_scripts"]) == {
        "migrate-pooling": f"{PACKAGE}.codemod.cli:main",
        "vllm-pooling-serve": f"{PACKAGE}.shim.serve.main:main",
        "vllm-pooling-batch": f"{PACKAGE}.runtime.batch.cli.main:main",
    }
    assert dict(entry_points["pytest11"]) == {"pooling_shim": f"{PACKAGE}.shim.pytest_plugin"}
    names = set(wheel.namelist())
    for section in ("console_scripts", "pytest11"):
        for target in entry_points[section].values():
            module = target.split(":")[0]
            assert f"{module.replace('.', '/')}.py" in names, target


def _requirement_name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group()).lower()


def test_the_light_part_imports_only_declared_dependencies(wheel):
    meta = Parser().parsestr(wheel.read(f"{_dist_info(wheel)}/METADATA").decode())
    declared = {_requirement_name(r) for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r}
    assert {"libcst", "click", "pathspec", "pyyaml"} <= declared
    distributions = metadata.packages_distributions()
    imported: dict[str, set[str]] = {}
    for folder in LIGHT_FOLDERS:
        for file in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in {PACKAGE, "__future__"}:
                        continue
                    for dist in distributions.get(top, [top]):
                        imported.setdefault(_requirement_name(dist), set()).add(str(file.relative_to(ROOT)))
    undeclared = {dist: sorted(files) for dist, files in imported.items() if dist not in declared}
    assert undeclared == {}
