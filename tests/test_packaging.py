"""Deployment packages and the handler-file check."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lambdalab import zip_files, zip_folder
from lambdalab.packaging import handler_problem


def test_zip_files_is_byte_for_byte_repeatable() -> None:
    files = {"index.js": "exports.handler = async () => 1;", "lib/util.js": "x"}
    assert zip_files(files) == zip_files(dict(reversed(list(files.items()))))
    assert sorted(zipfile.ZipFile(io.BytesIO(zip_files(files))).namelist()) == ["index.js", "lib/util.js"]


def test_bootstrap_gets_the_execute_bit() -> None:
    info = zipfile.ZipFile(io.BytesIO(zip_files({"bootstrap": "#!/bin/sh\n"}))).getinfo("bootstrap")
    assert (info.external_attr >> 16) & 0o111


def test_zip_folder_keeps_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "app.py").write_text("x = 1")
    (tmp_path / "pkg" / "__init__.py").write_text("")
    names = zipfile.ZipFile(io.BytesIO(zip_folder(tmp_path))).namelist()
    assert names == ["app.py", "pkg/__init__.py"]


def test_node_handler_file_names() -> None:
    for name in ("index.js", "index.mjs", "index.cjs"):
        assert handler_problem("nodejs20.x", "index.handler", [name]) is None
    problem = handler_problem("nodejs20.x", "index.handler", ["handler.js"])
    assert problem and "index.js or index.mjs or index.cjs" in problem


def test_a_nested_handler_file_is_explained() -> None:
    problem = handler_problem("python3.12", "app.handler", ["src/app.py"])
    assert problem and "inside a folder (src/app.py)" in problem


def test_custom_runtime_needs_bootstrap() -> None:
    assert handler_problem("provided.al2023", "function.handler", ["bootstrap"]) is None
    assert "bootstrap" in (handler_problem("provided.al2023", "x", ["main.sh"]) or "")


def test_handler_without_a_dot() -> None:
    assert "no dot" in (handler_problem("python3.12", "handler", ["app.py"]) or "")
