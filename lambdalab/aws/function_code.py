"""The deployment package a CreateFunction or UpdateFunctionCode request carries: uploaded (``ZipFile``,
base64) or an S3 object (``S3Bucket``, ``S3Key``, ``S3ObjectVersion``).

https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCode.html
https://docs.aws.amazon.com/lambda/latest/dg/configuration-function-zip.html
"""

from __future__ import annotations

import base64
import io
import zipfile
from typing import Any

from ..errors import invalid_parameter
from . import function_config, moto_s3


def package_bytes(account_id: str, code: dict[str, Any]) -> bytes | None:
    """The package a request carries (already checked by :func:`package_names`)."""
    if "ZipFile" in code:
        return base64.b64decode(code["ZipFile"])
    if "S3Bucket" in code or "S3Key" in code:
        return moto_s3.package(account_id, code.get("S3Bucket", ""), code.get("S3Key", ""), code.get("S3ObjectVersion"))
    return None


def package_names(account_id: str, code: dict[str, Any], operation: str) -> list[str] | None:
    """The package's file names, after the checks Lambda makes of a package (uploaded or in S3)."""
    if "ZipFile" in code:
        try:
            data = base64.b64decode(code["ZipFile"])
        except ValueError as err:
            raise invalid_parameter(
                "Could not unzip uploaded file. Please check your file, then try to upload again."
            ) from err
        return function_config.check_zip(data, operation)
    if "S3Bucket" in code or "S3Key" in code:
        data = moto_s3.package(account_id, code.get("S3Bucket", ""), code.get("S3Key", ""), code.get("S3ObjectVersion"))
        return function_config.check_zip(data, operation, uploaded=False)
    return None


def names_of(data: bytes) -> list[str]:
    """The file names in a stored package ([] for one that is not a zip)."""
    try:
        return zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return []
