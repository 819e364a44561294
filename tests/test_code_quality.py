"""The package stays typed, lint-clean and formatted (style.md): ruff, ruff format and mypy, as CI runs them."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: mypy's cache, one per checkout: two checkouts sharing one cache read each other's modules
MYPY_CACHE = Path(tempfile.gettempdir()) / f"lambdalab-mypy-cache-{hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]}"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_changes_nothing() -> None:
    done = _run("ruff", "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing() -> None:
    done = _run("mypy", "--cache-dir", str(MYPY_CACHE))
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_script_hides_a_standard_library_module() -> None:
    """A script runs with its own folder first on sys.path: benchmarks/http.py once hid the standard library's
    http package (which urllib and botocore import) from every script beside it."""
    scripts = [p for folder in ("benchmarks", "scripts") for p in (ROOT / folder).glob("*.py")]
    assert scripts
    assert [p.name for p in scripts if p.stem in sys.stdlib_module_names] == []
