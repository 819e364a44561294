"""Deployment packages are read by what they hold, not by what their headers claim.

Lambda refuses a package past 250 MB unzipped: ``InvalidParameterValueException``,
"Unzipped size must be smaller than 262144000 bytes"
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).  The
lab inflates each entry a chunk at a time against that quota, so a zip bomb whose
bzip2 entry claims ten bytes and holds 2 GiB is refused, whether it is uploaded
or read from S3, and the lab's memory stays bounded meanwhile.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from support import create_python, unique

import lambdalab
from lambdalab.deployment_package import PackageError, extract, safe_name, unzipped_size

TESTS = Path(__file__).resolve().parent
TOO_LARGE = "Unzipped size must be smaller than 262144000 bytes"
UNREADABLE = "Could not unzip uploaded file. Please check your file, then try to upload again."

#: bzip2 of 2 GiB of zero bytes (1,522 bytes)
BOMB_BZ2 = base64.b64decode(
    "QlpoOTFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kO"
    "CeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAA"
    "CCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWp"
    "CoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J"
    "4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAI"
    "IAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakK"
    "gJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni"
    "3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAgg"
    "ADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqA"
    "lzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLf"
    "AV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAA"
    "MIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCX"
    "MUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8B"
    "X45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAw"
    "gE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcx"
    "QVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFf"
    "jkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCA"
    "TUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFB"
    "WSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+O"
    "QADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZgLDoDAEUpUCAwAAABAAIIAAw"
    "zAUppkiRIbFIkSHi7kinChIbc2UzQA=="
)


def _zip_entry(name: str, method: int, packed: bytes, *, size: int, crc: int) -> tuple[bytes, bytes]:
    """One entry's local record and central-directory record, with whatever sizes we claim."""
    raw = name.encode()
    fixed = (20 if method != zipfile.ZIP_BZIP2 else 46, 0, method, 0, 0x21, crc, len(packed), size, len(raw))
    local = struct.pack("<4s5HIIIHH", b"PK\x03\x04", *fixed, 0) + raw + packed
    central = struct.pack("<4s6HIIIHHHHHII", b"PK\x01\x02", 0x031E, *fixed, 0, 0, 0, 0, 0o644 << 16, 0) + raw
    return local, central


def lying_zip(packed: bytes, *, claimed: int, method: int = zipfile.ZIP_BZIP2, crc: int = 0) -> bytes:
    """A package with a real app.py and a data.bin entry whose header claims ``claimed`` bytes."""
    source = b"def handler(event, context):\n    return 'ok'\n"
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    app = deflater.compress(source) + deflater.flush()
    parts = [
        _zip_entry("app.py", zipfile.ZIP_DEFLATED, app, size=len(source), crc=zlib.crc32(source)),
        _zip_entry("data.bin", method, packed, size=claimed, crc=crc),
    ]
    body, directory = b"", b""
    for local, central in parts:
        directory += central[:42] + struct.pack("<I", len(body)) + central[46:]
        body += local
    end = struct.pack("<4s4HIIH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), len(body), 0)
    return body + directory + end


BOMB = lying_zip(BOMB_BZ2, claimed=10)

_SCENARIO = """
import base64, json, sys
import botocore.exceptions
import lambdalab
from lambdalab.runtime import RuntimeFailure, SubprocessRuntime
from support import LAMBDA_TRUST
from runtime_support import spec, call

def hwm_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

bomb = base64.b64decode(sys.argv[1])
out = {}
with lambdalab.Lab() as lab:
    role = lab.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    lam, s3 = lab.client("lambda"), lab.client("s3")
    s3.create_bucket(Bucket="packages")
    s3.put_object(Bucket="packages", Key="bomb.zip", Body=bomb)
    before = hwm_kib()
    for how, code in (("upload", {"ZipFile": bomb}), ("s3", {"S3Bucket": "packages", "S3Key": "bomb.zip"})):
        try:
            lam.create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="app.handler", Code=code)
            out[how] = "accepted"
        except botocore.exceptions.ClientError as err:
            out[how] = [err.response["Error"]["Code"], err.response["Error"]["Message"]]
    with SubprocessRuntime(endpoint_url=lab.endpoint_url, region=lab.region, account_id=lab.account_id) as rt:
        try:
            call(rt, spec("app.handler", bomb, "python3.12"))
            out["invoke"] = "ran"
        except RuntimeFailure as err:
            out["invoke"] = [err.code, err.message]
    out["growth_mib"] = (hwm_kib() - before) / 1024
print("RESULT " + json.dumps(out))
"""


def test_the_bomb_is_a_small_zip_whose_header_lies() -> None:
    assert len(BOMB) < 2048
    info = zipfile.ZipFile(io.BytesIO(BOMB)).getinfo("data.bin")
    assert info.file_size == 10 and info.compress_type == zipfile.ZIP_BZIP2


def test_a_lying_zip_bomb_is_refused_uploaded_or_from_s3_with_bounded_memory() -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SCENARIO), base64.b64encode(BOMB).decode()],
        cwd=TESTS, capture_output=True, text=True, timeout=600,
        env={"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    print(f"zip bomb ({len(BOMB)} bytes, 2 GiB inside): lab peak RSS grew by {result['growth_mib']:.1f} MiB")
    assert result["upload"] == ["InvalidParameterValueException", TOO_LARGE]
    assert result["s3"] == ["InvalidParameterValueException", TOO_LARGE]
    # the runtime's own extraction counts too (a package that reached it some other way)
    assert result["invoke"] == ["InvalidZipFileException", "Lambda could not unzip the deployment package."]
    assert result["growth_mib"] < 100


def test_headers_that_already_claim_too_much_are_refused_on_update_too(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn)
    claims_300_mb = lying_zip(b"", claimed=300_000_000, method=zipfile.ZIP_STORED)
    with pytest.raises(ClientError) as err:
        lab.client("lambda").update_function_code(FunctionName=name, ZipFile=claims_300_mb)
    assert err.value.response["Error"]["Message"] == TOO_LARGE


def test_an_entry_larger_than_its_header_says_is_an_unreadable_package(lab: lambdalab.Lab, role_arn: str) -> None:
    data = b"y" * 5000
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    liar = lying_zip(
        deflater.compress(data) + deflater.flush(), claimed=10, method=zipfile.ZIP_DEFLATED, crc=zlib.crc32(data)
    )
    with pytest.raises(ClientError) as err:
        lab.client("lambda").create_function(
            FunctionName=unique(), Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"ZipFile": liar}
        )
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == UNREADABLE


def test_code_from_s3_gets_the_same_checks_and_lambdas_words_for_a_missing_object(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    s3, lam = lab.client("s3"), lab.client("lambda")
    s3.create_bucket(Bucket="code-bucket")
    s3.put_object(Bucket="code-bucket", Key="not-a.zip", Body=b"hello")
    s3.put_object(
        Bucket="code-bucket",
        Key="ok.zip",
        Body=lambdalab.zip_files({"app.py": "def handler(e, c):\n    return 's3'\n"}),
    )
    cases = {
        ("code-bucket", "not-a.zip"): UNREADABLE,
        ("no-such-bucket", "x.zip"): "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: "
        "The specified bucket does not exist",
        ("code-bucket", "missing.zip"): "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: "
        "The specified key does not exist.",
    }
    for (bucket, key), message in cases.items():
        with pytest.raises(ClientError) as err:
            lam.create_function(FunctionName=unique(), Runtime="python3.12", Role=role_arn, Handler="app.handler",
                                Code={"S3Bucket": bucket, "S3Key": key})  # fmt: skip
        assert (err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]) == (
            "InvalidParameterValueException",
            message,
        )
    name = unique()
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler",
                        Code={"S3Bucket": "code-bucket", "S3Key": "ok.zip"})  # fmt: skip
    assert json.load(lam.invoke(FunctionName=name)["Payload"]) == "s3"


def test_names_are_made_safe_as_unzip_makes_them() -> None:
    assert safe_name("a/../b.txt") == "a/b.txt"
    assert safe_name("../../etc/passwd") == "etc/passwd"
    assert safe_name("/abs/file") == "abs/file"
    assert safe_name("./x/./y") == "x/y"
    assert safe_name("C:/win.txt") == "win.txt"
    assert safe_name("../") is None


def test_a_dot_dot_entry_lands_inside_the_task_root_and_the_function_runs(
    lab: lambdalab.Lab, role_arn: str, tmp_path: Path
) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "import pathlib\ndef handler(e, c):\n    return pathlib.Path('a/b.txt').read_text()\n")
        z.writestr("a/../b.txt", "inside")
        z.writestr("../../escaped.txt", "still inside")
    extract(buf.getvalue(), tmp_path / "root")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "root/a/b.txt",
        "root/app.py",
        "root/escaped.txt",
    ]
    name = unique()
    lab.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"ZipFile": buf.getvalue()}
    )
    assert json.load(lab.client("lambda").invoke(FunctionName=name)["Payload"]) == "inside"


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_every_compression_zip_writes_is_read_and_counted(method: int, tmp_path: Path) -> None:
    buf = io.BytesIO()
    payload = bytes(range(256)) * 4000
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        z.writestr("one.bin", payload)
        z.writestr("dir/two.txt", "two")
    assert unzipped_size(buf.getvalue()) == len(payload) + 3
    extract(buf.getvalue(), tmp_path)
    assert (tmp_path / "one.bin").read_bytes() == payload and (tmp_path / "dir/two.txt").read_text() == "two"
    with pytest.raises(PackageError) as err:
        unzipped_size(buf.getvalue(), limit=len(payload))
    assert err.value.too_large
