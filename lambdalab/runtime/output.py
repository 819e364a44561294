"""What the lab keeps of an invocation's output: its head and its tail, never all of it.

A function may print without limit.  Lambda sends every line to CloudWatch Logs,
cutting a line longer than one log event into several events (a CloudWatch Logs
event holds at most 256 KB, 26 bytes of which are the event's own overhead:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html),
and ``LogType=Tail`` returns the last 4 KB
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).

The lab is not a log store: it keeps the first :data:`HEAD` bytes and the last
:data:`TAIL` bytes of each invocation's output and puts one line in between that
says how much it left out.  A function that prints 200 MiB then costs the lab a
few hundred KiB, and the log tail, the REPORT line and the start of the output
are still all there.
"""

from __future__ import annotations

HEAD = 256 * 1024
TAIL = 64 * 1024
#: the largest message of one CloudWatch Logs event: 256 KB less the 26 bytes each event costs
EVENT_MESSAGE_LIMIT = 256 * 1024 - 26


class CappedOutput:
    """Bytes appended as they arrive; keeps ``head`` bytes from the start and ``tail`` from the end."""

    def __init__(self, head: int = HEAD, tail: int = TAIL) -> None:
        self._head_limit = head
        self._tail_limit = tail
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def append(self, data: bytes) -> None:
        self.total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data[-self._tail_limit :]
            if len(self._tail) > 2 * self._tail_limit:  # trim now and then, not on every append
                del self._tail[: -self._tail_limit]

    @property
    def dropped(self) -> int:
        """How many bytes of the output the lab did not keep."""
        return self.total - len(self._head) - min(len(self._tail), self._tail_limit)

    def endswith(self, suffix: bytes) -> bool:
        return (self._tail or self._head).endswith(suffix)

    def __bool__(self) -> bool:
        return self.total > 0

    def text(self) -> str:
        """The kept output as text, with a line where the lab left bytes out."""
        tail = bytes(self._tail[-self._tail_limit :]) if self._tail else b""
        dropped = self.dropped
        if not dropped:
            return (bytes(self._head) + tail).decode("utf-8", errors="replace")
        marker = (
            f"\n[lambdalab: {dropped:,} bytes of this invocation's output are not kept here; the lab keeps "
            f"the first {self._head_limit // 1024} KiB and the last {self._tail_limit // 1024} KiB "
            "(AWS keeps all of it in CloudWatch Logs)]\n"
        )
        return bytes(self._head).decode("utf-8", errors="replace") + marker + tail.decode("utf-8", errors="replace")


def event_messages(line: str, limit: int = EVENT_MESSAGE_LIMIT) -> list[str]:
    """One output line as CloudWatch Logs events: pieces of at most ``limit`` UTF-8 bytes."""
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
