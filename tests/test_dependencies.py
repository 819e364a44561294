"""pyproject.toml and environment.yml must ask for the same packages."""

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
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    assert sorted(map(_normal, _pip_section_of_environment_yml())) == sorted(map(_normal, wanted))


def test_environment_yml_pins_the_python_of_pyproject() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11"
    assert "  - python=3.11" in (ROOT / "environment.yml").read_text().splitlines()


def test_postbuild_installs_the_package_without_dependencies() -> None:
    assert "pip install --no-deps -e ." in (ROOT / "postBuild").read_text()
