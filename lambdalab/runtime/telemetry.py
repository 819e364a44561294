"""The receiving end of the log framing Lambda's managed runtimes speak.

Lambda gives a managed runtime a file descriptor of its own for log records
(``_LAMBDA_TELEMETRY_LOG_FD``).  AWS's Python runtime interface client
(awslambdaric's ``FramedTelemetryLogSink``) writes each log record there as one
*frame*, so a multi-line message (a traceback, a logged dict) stays one
CloudWatch Logs event; what the function prints to stdout or stderr carries no
frame and is cut into events at each line break.  A frame, big-endian::

    +--------------------+--------------------+-----------------------+---------------------+
    | type (4 bytes)     | length (4 bytes)   | timestamp (8 bytes)   | message (length)    |
    | 0xA55A0003 + level | of the message     | microseconds (epoch)  | UTF-8               |
    +--------------------+--------------------+-----------------------+---------------------+

The low bits of the type carry the format and level (``0xA55A0003`` text,
``0xA55A0017`` text ERROR, ``0xA55A0002`` JSON...); every type starts ``0xA55A``.
The lab's Node.js bootstrap writes the same frames for ``console.*``.

:class:`FrameReader` decodes a stream of frames fed in arbitrary pieces and never
holds more than one log event's worth of a message: a longer message comes out
in pieces of at most :data:`~lambdalab.runtime.output.EVENT_MESSAGE_LIMIT` bytes,
as CloudWatch Logs would cut it.  Bytes that are not a frame (a runtime writing
garbage to the descriptor) come out as one event saying so, and the reader stops.

https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-logs-api.html
"""

from __future__ import annotations

from .output import EVENT_MESSAGE_LIMIT, complete_utf8

#: the environment variable that names the descriptor (awslambdaric reads it, then deletes it)
FD_VARIABLE = "_LAMBDA_TELEMETRY_LOG_FD"
MAGIC = 0xA55A
HEADER = 16


class FrameReader:
    """Frames in, ``(timestamp_ms, message)`` pieces out."""

    def __init__(self, limit: int = EVENT_MESSAGE_LIMIT) -> None:
        self._limit = limit
        self._buffer = bytearray()
        self._left = 0  # message bytes of the current frame still to come
        self._stamp = 0
        self._piece = bytearray()
        self.broken = False

    def feed(self, data: bytes) -> list[tuple[int, str]]:
        """Decode what ``data`` completes; keep the rest for the next call."""
        out: list[tuple[int, str]] = []
        if self.broken:
            return out
        self._buffer += data
        while self._buffer:
            if self._left == 0:
                if len(self._buffer) < HEADER:
                    break
                kind = int.from_bytes(self._buffer[0:4], "big")
                if kind >> 16 != MAGIC:
                    self.broken = True
                    out.append((0, f"lambdalab: the runtime wrote {len(self._buffer)} bytes that are not a log frame"))
                    self._buffer.clear()
                    break
                self._left = int.from_bytes(self._buffer[4:8], "big")
                self._stamp = int.from_bytes(self._buffer[8:16], "big") // 1000
                del self._buffer[:HEADER]
                if self._left == 0:
                    out.append((self._stamp, ""))
                    continue
            take = min(self._left, len(self._buffer), self._limit - len(self._piece))
            self._piece += self._buffer[:take]
            del self._buffer[:take]
            self._left -= take
            if self._left == 0:
                out.append((self._stamp, self._piece.decode("utf-8", errors="replace")))
                self._piece.clear()
                continue
            if len(self._piece) >= self._limit:  # a long message: one event's worth, cut between characters
                cut = complete_utf8(self._piece)
                out.append((self._stamp, self._piece[:cut].decode("utf-8", errors="replace")))
                del self._piece[:cut]
            if not self._buffer:
                break
        return out
