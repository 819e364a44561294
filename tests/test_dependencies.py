"""environment.yml asks for what pyproject.toml's dependencies are, the run-time packages only (Binder and hub
images build from it; the test, docs and grading tools are pyproject.toml's extras)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _normal(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def _pip_section_of_environment_yml() -> list[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    out = []
    for line in lines[start + 1 :]:
        match = re.match(r"^\s{6,}- (.+)$", line)
        if not match:
            break
        out.append(match.group(1))
    return out


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(map(_normal, _pip_section_of_environment_yml())) == sorted(map(_normal, project["dependencies"]))


def test_environment_yml_holds_no_tool_of_the_extras() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    tools = {re.split(r"[<>=\[ ]", r)[0].lower() for reqs in extras.values() for r in reqs}
    listed = {re.split(r"[<>=\[ ]", r)[0].lower() for r in _pip_section_of_environment_yml()}
    assert tools and not tools & listed, tools & listed


def test_environment_yml_pins_the_python_of_pyproject() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11"
    assert "  - python=3.11" in (ROOT / "environment.yml").read_text().splitlines()


def test_postbuild_installs_the_package_without_dependencies() -> None:
    assert "pip install --no-deps -e ." in (ROOT / "postBuild").read_text()


def test_the_binder_badge_opens_the_first_notebook_in_jupyterlab() -> None:
    links = re.findall(
        r"\(https://mybinder\.org/v2/gh/[^/]+/[^/]+/[^?)]+\?urlpath=([^)]+)\)", (ROOT / "README.md").read_text()
    )
    assert links == ["lab/tree/notebooks/00-start-here.ipynb"]
    assert (ROOT / links[0].removeprefix("lab/tree/")).is_file()
