"""Reading a .zip deployment package the way Lambda's quota reads it: by what it really holds.

Lambda refuses a package whose contents exceed 250 MB unzipped (262,144,000
bytes: "Unzipped size must be smaller than 262144000 bytes",
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).  The
sizes a zip's headers state are the packer's word, and a hostile packer lies: a
1.5 KB zip whose bzip2 entry claims ten bytes inflates to 2 GiB.  So every entry
is inflated here a chunk at a time, whatever its headers say, with a running
count that stops at the quota; an entry whose real size or CRC disagrees with its
header is a corrupt package.

Names are made safe as ``unzip`` and Python's :mod:`zipfile` make them: no
absolute paths, ``.`` and ``..`` parts dropped (``a/../b.txt`` lands in
``a/b.txt``), so nothing is written outside the task root.
"""

from __future__ import annotations

import bz2
import lzma
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

UNZIPPED_LIMIT = 262_144_000
_CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


class PackageError(Exception):
    """The package cannot be used: ``too_large`` (past the quota) or else unreadable."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def unzipped_size(data: bytes, limit: int = UNZIPPED_LIMIT) -> int:
    """Inflate every entry (nothing kept) and return the real total; PackageError past ``limit``."""
    total = 0
    for _info, chunks in _entries(data, limit):
        for chunk in chunks:
            total += len(chunk)
    return total


def extract(data: bytes, target: Path, limit: int = UNZIPPED_LIMIT) -> None:
    """Unzip into ``target`` with safe names and the entries' permission bits; PackageError past ``limit``."""
    root = target.resolve()
    for info, chunks in _entries(data, limit):
        name = safe_name(info.filename)
        if name is None:
            for _ in chunks:  # still counted against the quota
                pass
            continue
        dest = root / name
        if info.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            for _ in chunks:
                pass
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        mode = (info.external_attr >> 16) & 0o777
        if mode:
            dest.chmod(mode | stat.S_IRUSR)


def safe_name(name: str) -> str | None:
    """The relative path an entry is written to, or None when nothing of it is left."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and len(parts[0]) == 2 and parts[0][1] == ":":  # a drive letter
        parts = parts[1:]
    return os.path.join(*parts) if parts else None


def _entries(data: bytes, limit: int) -> Iterator[tuple[zipfile.ZipInfo, Iterator[bytes]]]:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as err:
        raise PackageError(f"not a zip file: {err}") from err
    if sum(i.file_size for i in infos) > limit:  # the headers alone already say too much
        raise PackageError("the headers state more than the quota", too_large=True)
    budget = [limit]
    for info in infos:
        yield info, _inflate(data, info, budget)


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: list[int]) -> Iterator[bytes]:
    """One entry's bytes, a chunk at a time, checked against its CRC and stated size."""
    if info.flag_bits & 0x1:
        raise PackageError(f"{info.filename}: encrypted entries cannot be read")
    raw = _compressed_bytes(data, info)
    size = crc = 0
    for chunk in _decompress(info.compress_type, raw, info.filename):
        size += len(chunk)
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise PackageError("past the quota", too_large=True)
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if size != info.file_size or crc != info.CRC:
        raise PackageError(f"{info.filename}: its header states {info.file_size} bytes, it holds {size}")


def _compressed_bytes(data: bytes, info: zipfile.ZipInfo) -> memoryview:
    start = info.header_offset
    try:
        fields = _LOCAL_HEADER.unpack_from(data, start)
    except struct.error as err:
        raise PackageError(f"{info.filename}: no local header") from err
    if fields[0] != b"PK\x03\x04":
        raise PackageError(f"{info.filename}: bad local header")
    begin = start + _LOCAL_HEADER.size + fields[9] + fields[10]
    return memoryview(data)[begin : begin + info.compress_size]


def _decompress(method: int, raw: memoryview, name: str) -> Iterator[bytes]:
    if method == zipfile.ZIP_STORED:
        for i in range(0, len(raw), _CHUNK):
            yield bytes(raw[i : i + _CHUNK])
        return
    try:
        inflater = _Inflater(method, raw, name)
        while not inflater.eof:
            out = inflater.take()
            if out:
                yield out
            elif inflater.needs_input:
                return  # all consumed: the size and CRC checks tell a whole entry from a cut one
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as err:
        raise PackageError(f"{name}: {err}") from err


class _Inflater:
    """One entry's decompressor, fed its compressed bytes once, asked for a chunk at a time."""

    def __init__(self, method: int, raw: memoryview, name: str) -> None:
        self._pending = bytes(raw)
        self._zlib: Any = None
        self._other: bz2.BZ2Decompressor | lzma.LZMADecompressor | None = None
        if method == zipfile.ZIP_DEFLATED:
            self._zlib = zlib.decompressobj(-15)
        elif method == zipfile.ZIP_BZIP2:
            self._other = bz2.BZ2Decompressor()
        elif method == zipfile.ZIP_LZMA:
            # zip's LZMA: 2 bytes version, 2 bytes properties size, the properties, then raw LZMA1
            size = int.from_bytes(self._pending[2:4], "little")
            props, self._pending = self._pending[4 : 4 + size], self._pending[4 + size :]
            if len(props) < 5:
                raise PackageError(f"{name}: bad LZMA properties")
            lc, lp, pb = props[0] % 9, (props[0] // 9) % 5, props[0] // 45
            lzma1 = {
                "id": lzma.FILTER_LZMA1,
                "lc": lc,
                "lp": lp,
                "pb": pb,
                "dict_size": int.from_bytes(props[1:5], "little"),
            }
            self._other = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[lzma1])
        else:
            raise PackageError(f"{name}: compression method {method} is not supported")

    def take(self) -> bytes:
        data, self._pending = self._pending, b""
        if self._zlib is not None:
            return bytes(self._zlib.decompress(self._zlib.unconsumed_tail + data, _CHUNK))
        assert self._other is not None
        return self._other.decompress(data, max_length=_CHUNK)

    @property
    def eof(self) -> bool:
        return bool(self._zlib.eof if self._zlib is not None else self._other.eof)  # type: ignore[union-attr]

    @property
    def needs_input(self) -> bool:
        if self._pending:
            return False
        if self._zlib is not None:
            return not self._zlib.unconsumed_tail
        return bool(self._other.needs_input)  # type: ignore[union-attr]
