"""``python -m lambdalab.events``: rewrite data/events/*.json from the builders."""

from __future__ import annotations

from . import write_samples

if __name__ == "__main__":
    for path in write_samples():
        print(path)
