"""Exercises for ``09-http-endpoints-and-layers``, one module per concept: share code in a layer (:mod:`.layers`),
open a function URL (:mod:`.function_url`), allow a page (CORS, :mod:`.cors`).

They register as they are imported, so the imports keep the notebook's order (tests/test_exercise_layout.py).
"""

from __future__ import annotations

from .layers import GREETER, GREETERS, GREETINGS, LAYER, ShareAHelper

# isort: split
from .function_url import PAGE, WEB, OpenToEveryone, take_back_url

# isort: split
from .cors import PRICES, SHOP, SHOP_API, LetTheShopIn

__all__ = [
    "GREETER",
    "GREETERS",
    "GREETINGS",
    "LAYER",
    "PAGE",
    "PRICES",
    "SHOP",
    "SHOP_API",
    "WEB",
    "LetTheShopIn",
    "OpenToEveryone",
    "ShareAHelper",
    "take_back_url",
]
