"""The binary event stream encoding (``application/vnd.amazon.eventstream``) InvokeWithResponseStream answers in.

Each message: total length and headers length (4 bytes each, big-endian), a CRC32 of those eight
bytes, the headers (name length, name, type 7 = string, value length on two bytes, value), the
payload, and a CRC32 of everything before it.  InvokeWithResponseStream sends ``PayloadChunk`` events
as the function writes and one ``InvokeComplete`` (with ``ErrorCode``, ``ErrorDetails``, ``LogResult``).

https://docs.aws.amazon.com/lambda/latest/api/API_InvokeWithResponseStream.html
https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html (the message layout)
"""

from __future__ import annotations

import struct
import zlib


def _headers(values: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in values.items():
        raw_name, raw_value = name.encode(), value.encode()
        out += struct.pack("B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value
    return bytes(out)


def message(headers: dict[str, str], payload: bytes) -> bytes:
    """One encoded message."""
    head = _headers(headers)
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    body = prelude + struct.pack(">I", zlib.crc32(prelude)) + head + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event(event_type: str, payload: bytes, content_type: str = "application/octet-stream") -> bytes:
    """An event message of ``event_type`` (``PayloadChunk``, ``InvokeComplete``)."""
    return message({":event-type": event_type, ":content-type": content_type, ":message-type": "event"}, payload)
