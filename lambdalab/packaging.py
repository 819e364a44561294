"""Deployment packages: the .zip files Lambda runs.

``zip_files({"index.js": source})`` builds one from text in a notebook cell;
``zip_folder("data/functions/hello-node")`` from files on disk.  Both write
entries with fixed timestamps and permissions, so the same sources always give
the same bytes and the same ``CodeSha256``.

:func:`handler_problem` tells whether the handler setting can find its file in
the package (its runtime's family knows the file names).  Lambda accepts such a
package and fails only when the function runs (``Runtime.ImportModuleError``);
the lab warns at deploy time as well.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-function-zip.html
https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from .runtime.families import family_of

_FIXED_TIME = (2025, 1, 1, 0, 0, 0)


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def zip_files(files: Mapping[str, str | bytes], *, executable: Iterable[str] = ("bootstrap",)) -> bytes:
    """Deployment package bytes from ``{file name: text or bytes}``.

    Files named in ``executable`` (by default a custom runtime's ``bootstrap``)
    get the execute bit, as ``zip`` keeps it from a file system.
    """
    run = set(executable)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in sorted(files):
            content = files[name]
            data = content.encode() if isinstance(content, str) else content
            _add(archive, name, data, name in run or name.endswith(".sh"))
    return buf.getvalue()


def zip_folder(folder: str | os.PathLike[str]) -> bytes:
    """Deployment package bytes from every file under ``folder`` (paths relative to it).

    Execute bits are kept, like ``zip -r`` does.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if "__pycache__" in path.parts or "node_modules/.cache" in path.as_posix():
                continue
            _add(archive, path.relative_to(root).as_posix(), path.read_bytes(), os.access(path, os.X_OK))
    return buf.getvalue()


def handler_problem(runtime: str | None, handler: str | None, names: Iterable[str]) -> str | None:
    """Why this package's handler setting will not be found, or None if it looks right.

    The runtime's family knows which file the handler names (:mod:`lambdalab.runtime.families`);
    a runtime the lab cannot run gets no hint.
    """
    if not runtime or not handler:
        return None
    family = family_of(runtime)
    return family.package_problem(handler, set(names)) if family else None
