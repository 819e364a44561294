"""An invocation's output as CloudWatch Logs events: its head and its tail, never all of it.

What a function prints to stdout or stderr becomes one log event per line (cut at
``\\n`` only: a ``\\r`` stays inside its event); a framed log record (see
:mod:`.telemetry`) is one event however many lines it holds.  A line longer than one
event is cut into several (a CloudWatch Logs event holds at most 256 KB, 26 bytes
of which are the event's own overhead:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html),
and ``LogType=Tail`` returns the last 4 KB
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).

A function may print without limit; the lab is not a log store.  :class:`CappedLog`
keeps the first :data:`HEAD` bytes and the last :data:`TAIL` bytes of events and puts
one event in between that says how much it left out.  A function that prints 200 MiB
then costs the lab a few hundred KiB, and the log tail, the REPORT line and the start
of the output are still all there.

Every event is stamped with the function's clock (real time, epoch milliseconds):
a framed record with the time the runtime gave it, a printed line with the time
the lab read it.
"""

from __future__ import annotations

from collections import deque

from .types import LogEvent

HEAD = 256 * 1024
TAIL = 64 * 1024
#: the largest message of one CloudWatch Logs event: 256 KB less the 26 bytes each event costs
EVENT_MESSAGE_LIMIT = 256 * 1024 - 26


class CappedLog:
    """Log events of one phase (init or invoke) of one invocation, bounded to a head and a tail."""

    def __init__(self, head: int = HEAD, tail: int = TAIL, limit: int = EVENT_MESSAGE_LIMIT) -> None:
        self._head_limit = self._head_room = head
        self._tail_limit = tail
        self._limit = limit
        self._head: list[LogEvent] = []
        self._tail: deque[LogEvent] = deque()
        self._tail_bytes = 0
        self._line = bytearray()  # printed bytes not yet ended by a line break
        self._line_at = 0
        self.total = 0  # bytes of every event's message
        self.dropped = 0  # bytes the lab did not keep

    # -- input ----------------------------------------------------------------------
    def write(self, data: bytes, at_ms: int) -> None:
        """Printed bytes: each completed line becomes an event stamped ``at_ms``."""
        while data:
            if not self._line:
                self._line_at = at_ms
            cut = data.find(b"\n")
            piece, data = (data, b"") if cut < 0 else (data[:cut], data[cut + 1 :])
            self._line += piece
            while len(self._line) > self._limit:  # a line longer than an event: cut it, between characters
                end = complete_utf8(self._line[: self._limit]) or self._limit
                self.add(LogEvent(self._line_at, self._line[:end].decode("utf-8", errors="replace")))
                del self._line[:end]
            if cut >= 0:
                self.add(LogEvent(self._line_at, self._line.decode("utf-8", errors="replace")))
                self._line.clear()

    def flush(self) -> None:
        """The last printed line, even without a line break."""
        if self._line:
            self.add(LogEvent(self._line_at, self._line.decode("utf-8", errors="replace")))
            self._line.clear()

    def add(self, event: LogEvent) -> None:
        """One whole event (a frame, a line, a line of the platform's)."""
        size = len(event.message.encode("utf-8", errors="replace"))
        self.total += size
        if size <= self._head_room and not self._tail:
            self._head.append(event)
            self._head_room -= size
            return
        self._head_room = 0  # from the first event that does not fit, everything goes to the tail
        self._tail.append(event)
        self._tail_bytes += size
        while len(self._tail) > 1 and self._tail_bytes > self._tail_limit:
            gone = self._tail.popleft()
            lost = len(gone.message.encode("utf-8", errors="replace"))
            self._tail_bytes -= lost
            self.dropped += lost
        if self._tail_bytes > self._tail_limit:  # one event alone is larger than the tail: keep its end
            last = self._tail.pop()
            data = last.message.encode("utf-8", errors="replace")
            kept = data[-self._tail_limit :].decode("utf-8", errors="ignore")
            self.dropped += len(data) - len(kept.encode())
            self._tail.append(LogEvent(last.timestamp, kept))
            self._tail_bytes = len(kept.encode())

    # -- output ---------------------------------------------------------------------
    def events(self) -> list[LogEvent]:
        """The kept events in order, with one that says what the lab left out."""
        self.flush()
        out = list(self._head)
        if self.dropped:
            at = self._tail[0].timestamp if self._tail else (out[-1].timestamp if out else 0)
            out.append(
                LogEvent(
                    at,
                    f"[lambdalab: {self.dropped:,} bytes of this invocation's output are not kept here; the lab "
                    f"keeps the first {self._head_limit // 1024} KiB and the last {self._tail_limit // 1024} KiB "
                    "(AWS keeps all of it in CloudWatch Logs)]",
                )
            )
        out.extend(self._tail)
        return out

    def __bool__(self) -> bool:
        return bool(self.total or self._line)


def event_messages(line: str, limit: int = EVENT_MESSAGE_LIMIT) -> list[str]:
    """One text line as CloudWatch Logs events: pieces of at most ``limit`` UTF-8 bytes."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return [line]
    pieces = []
    while data:
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # never split a character
            cut -= 1
        pieces.append(data[:cut].decode("utf-8"))
        data = data[cut:]
    return pieces


def complete_utf8(data: bytes | bytearray) -> int:
    """The length of the longest prefix of ``data`` that does not end inside a UTF-8 character."""
    end = len(data)
    start = end
    while start > 0 and end - start < 4 and (data[start - 1] & 0xC0) == 0x80:
        start -= 1
    if start == 0:
        return end
    lead = data[start - 1]
    size = 2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4 if lead >> 3 == 0b11110 else 1
    return end if end - (start - 1) >= size else start - 1


def as_text(events: list[LogEvent]) -> str:
    """Events as one text, each on its own line (the form of ``LogType=Tail``)."""
    return "".join(e.message if e.message.endswith("\n") else e.message + "\n" for e in events)
