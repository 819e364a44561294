"""Deployment packages: the .zip files Lambda runs.

``zip_files({"index.js": source})`` builds one from text in a notebook cell;
``zip_folder("data/functions/hello-node")`` from files on disk.  Both write
entries with fixed timestamps and permissions, so the same sources always give
the same bytes and the same ``CodeSha256``.

:func:`handler_problem` tells whether the handler setting can find its file in
the package.  Lambda accepts such a package and fails only when the function
runs (``Runtime.ImportModuleError``); the lab warns at deploy time as well.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-function-zip.html
https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

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


def _module_candidates(runtime: str, module: str) -> list[str]:
    if runtime.startswith("python"):
        return [f"{module}.py", f"{module}/__init__.py"]
    if runtime.startswith("nodejs"):
        return [f"{module}.js", f"{module}.mjs", f"{module}.cjs"]
    return []


def handler_problem(runtime: str | None, handler: str | None, names: Iterable[str]) -> str | None:
    """Why this package's handler setting will not be found, or None if it looks right."""
    if not runtime or not handler:
        return None
    files = set(names)
    if runtime.startswith("provided"):
        if "bootstrap" not in files:
            return (
                "A custom runtime needs an executable file named 'bootstrap' at the top of the .zip; "
                f"this package has {sorted(files)}. Lambda will fail with Runtime.InvalidEntrypoint."
            )
        return None
    if "." not in handler:
        return (
            f"The handler '{handler}' has no dot: Lambda expects '<file>.<function>', for example "
            "'index.handler'. Invocations will fail with Runtime.MalformedHandlerName."
        )
    module = handler.rsplit(".", 1)[0]
    candidates = _module_candidates(runtime, module)
    if not candidates or any(c in files for c in candidates):
        return None
    nested = [n for n in files if any(n.endswith("/" + c) for c in candidates)]
    where = f" It is inside a folder ({nested[0]}): zip the file itself, not its folder (zip -j)." if nested else ""
    kind = "Node.js looks for" if runtime.startswith("nodejs") else "Python imports"
    return (
        f"The handler '{handler}' names the file '{module}', but the package has no "
        f"{' or '.join(candidates)} at its top level ({kind} {candidates[0]}).{where} "
        "AWS accepts this package and every invocation then fails with Runtime.ImportModuleError."
    )
