"""Helpers for the runtime tests: specs, zips of tests/functions/, one invoke call."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import zipfile
from pathlib import Path

from lambdalab.runtime import FunctionSpec, InvokeResult, Runtime

FUNCTIONS = Path(__file__).with_name("functions")
ACCOUNT = "123456789012"
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:5999"


def zip_files(files: dict[str, str]) -> bytes:
    """A zip with no permission bits recorded, as many zip tools write it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def zip_dir(name: str) -> bytes:
    return zip_files({p.name: p.read_text() for p in sorted((FUNCTIONS / name).iterdir())})


def spec(handler: str, code: bytes, runtime: str, **kw: object) -> FunctionSpec:
    name = str(kw.pop("function_name", f"fn-{uuid.uuid4().hex[:8]}"))
    return FunctionSpec(
        function_name=name,
        function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        version=str(kw.pop("version", "$LATEST")),
        runtime=runtime,
        handler=handler,
        code_zip=code,
        code_sha256=base64.b64encode(hashlib.sha256(code).digest()).decode(),
        **kw,  # type: ignore[arg-type]
    )


def call(rt: Runtime, fn: FunctionSpec, event: object = None, **kw: object) -> InvokeResult:
    return rt.invoke(
        fn,
        json.dumps(event if event is not None else {}).encode(),
        request_id=str(uuid.uuid4()),
        invoked_function_arn=fn.function_arn,
        **kw,  # type: ignore[arg-type]
    )
