"""A streamed invocation seen from the side that sends it on: chunks in a queue, the invoke in a thread.

The function URL listener (``InvokeMode=RESPONSE_STREAM``) and InvokeWithResponseStream both start the
invocation with :func:`start`, then read :meth:`ChunkQueue.next` until ``end``: ``start`` (the function
began streaming, with its content type), ``chunk`` (bytes as written), ``end`` (the
:class:`~lambdalab.runtime.types.InvokeResult`, or the :class:`~lambdalab.errors.AwsError` that refused
the invoke).  A function that does not stream sends only ``end``; its answer is the result's payload.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html
"""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, Any

from ..errors import AwsError

if TYPE_CHECKING:
    from ..ports import Target
    from .lambda_invoke import InvokeService

#: how long a reader waits for the next piece beyond the function's own timeout (a stuck lab, not a slow function)
SLACK_SECONDS = 120.0


class ChunkQueue:
    """A :class:`~lambdalab.runtime.types.ResponseStream` that a reader drains in another thread."""

    def __init__(self, timeout: float) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._limit = timeout + SLACK_SECONDS

    def start(self, content_type: str) -> None:
        self._queue.put(("start", content_type))

    def write(self, chunk: bytes) -> None:
        self._queue.put(("chunk", bytes(chunk)))

    def end(self, outcome: Any) -> None:
        self._queue.put(("end", outcome))

    def next(self) -> tuple[str, Any]:
        """The next piece; ``("end", AwsError)`` if none comes within the function's timeout and the slack."""
        try:
            return self._queue.get(timeout=self._limit)
        except queue.Empty:
            return "end", AwsError("ServiceException", "The streamed invocation did not finish.", 500)


def start(
    invocations: InvokeService,
    target: Target,
    payload: bytes,
    *,
    source: str,
    request_id: str,
    client_context: str | None = None,
    trace_header: str | None = None,
) -> ChunkQueue:
    """Run the invocation in a thread of its own; its pieces arrive in the returned queue.

    ``trace_header``: the caller's, when a function invokes (its chain of requests goes on).
    """
    chunks = ChunkQueue(float(target.spec.timeout))

    def run() -> None:
        try:
            result = invocations.run(
                target,
                payload,
                client_context=client_context,
                source=source,
                request_id=request_id,
                stream=chunks,
                trace_header=trace_header,
            )
        except AwsError as err:
            chunks.end(err)
        except Exception as err:  # noqa: BLE001 - the reader must always get its end
            chunks.end(AwsError("ServiceException", f"lambdalab internal error: {err!r}", 500))
        else:
            chunks.end(result)

    threading.Thread(target=run, name=f"lambdalab-stream-{request_id[:8]}", daemon=True).start()
    return chunks
