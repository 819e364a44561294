"""Marker/MaxItems pagination, the way Lambda's List* operations page.

Markers are opaque to callers; here they are the base64 of the next index.
https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
"""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

from ..errors import check_range, invalid_parameter
from .gateway import Request

T = TypeVar("T")


def page(
    req: Request, items: list[T], *, default: int, maximum: int, per_response: int | None = None
) -> tuple[list[T], str | None]:
    """The page of ``items`` the request's Marker and MaxItems ask for, and the next marker.

    ``per_response`` caps a page below an accepted MaxItems (ListFunctions: "returns a maximum of
    50 items in each response, even if you set the number higher").
    """
    max_items = int(req.q("MaxItems") or default)
    check_range(max_items, "maxItems", 1, maximum)
    if per_response is not None:
        max_items = min(max_items, per_response)
    start = 0
    marker = req.q("Marker")
    if marker:
        try:
            start = int(base64.b64decode(marker, validate=True).decode())
        except (binascii.Error, ValueError) as err:
            raise invalid_parameter("Invalid marker.") from err
    end = start + max_items
    nxt = base64.b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], nxt
