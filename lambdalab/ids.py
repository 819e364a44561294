"""The lab's seeded ids: request ids, revision ids and mapping UUIDs repeat run to run."""

from __future__ import annotations

import random
import threading
import uuid


class SeededIds:
    """UUIDs (version 4 in form) from a generator seeded with the lab's seed; thread-safe."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
