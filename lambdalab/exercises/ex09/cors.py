"""Exercise 3 of ``09-http-endpoints-and-layers``, CORS on a function URL: the shop's page may POST JSON to it.

https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html
"""

from __future__ import annotations

from ...course import open_url_to_everyone
from ..core import Attempt, Problem
from ._common import http, make_function, url_config

SHOP_API = "price-api"
SHOP = "https://shop.example.com"
PRICES = 'import json\n\n\ndef handler(event, context):\n    return {"tea": 3.5, "coffee": 4}\n'

_NO_CORS = 'lam.update_function_url_config(FunctionName="price-api", Cors={})'


class LetTheShopIn(Problem):
    """A page at https://shop.example.com POSTs JSON to ``price-api``'s URL; the browser's preflight must pass."""

    title = "Allow the shop's page to call the URL (CORS)"
    _hint = (
        "Set `Cors` on the URL (`update_function_url_config`): `AllowOrigins` the shop's origin only, "
        "`AllowMethods` with `POST`, and `AllowHeaders` with `content-type` (a JSON POST sends it, so the "
        "browser asks first). The URL then answers the preflight `OPTIONS` itself."
    )
    _solution = (
        "```python\n"
        'lam.update_function_url_config(FunctionName="price-api", Cors={\n'
        '    "AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["POST"], "AllowHeaders": ["content-type"]})\n'
        "```"
    )

    mistakes = (
        Attempt(
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]})',
            names="any site",
            undo=_NO_CORS,
        ),
        Attempt(
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["GET"], "AllowHeaders": ["content-type"]})',
            names="POST",
            undo=_NO_CORS,
        ),
        Attempt(
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["POST"]})',
            names="content-type",
            undo=_NO_CORS,
        ),
    )
    correct_forms = (
        Attempt(
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["https://shop.example.com"], '
            '"AllowMethods": ["GET", "POST"], "AllowHeaders": ["Content-Type", "x-api-key"], "MaxAge": 600})',
            undo=_NO_CORS,
        ),
        Attempt(  # any method and header, from the shop's page only
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["https://shop.example.com"], '
            '"AllowMethods": ["*"], "AllowHeaders": ["*"]})',
            undo=_NO_CORS,
        ),
    )

    def setup(self) -> None:
        make_function(self.lab, SHOP_API, PRICES)
        if url_config(self.lab, SHOP_API) is None:
            lam = self.lab.client("lambda")
            lam.create_function_url_config(FunctionName=SHOP_API, AuthType="NONE")
            open_url_to_everyone(self.lab, SHOP_API)

    def _check(self) -> bool | str | None:
        config = url_config(self.lab, SHOP_API)
        if config is None:
            return "price-api has no URL any more: run the setup cell again."
        cors = config.get("Cors") or {}
        if not any(cors.values()):
            return None
        if "*" in (cors.get("AllowOrigins") or []):
            return (
                "AllowOrigins is *: any site's page may now call price-api from its visitors' browsers. "
                f"Name the shop's origin, {SHOP}."
            )
        _, headers, _ = http(
            config["FunctionUrl"],
            "OPTIONS",
            {"Origin": SHOP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        )
        allowed = {k.lower(): v for k, v in headers.items()}
        if allowed.get("access-control-allow-origin") != SHOP:
            methods = [str(m).upper() for m in cors.get("AllowMethods") or []]
            if "POST" not in methods and "*" not in methods:
                return f"The preflight asks for POST, and AllowMethods is {methods}: add POST."
            return f"The preflight from {SHOP} gets no Access-Control-Allow-Origin: is the origin spelled as here?"
        allowed_headers = [h.strip().lower() for h in allowed.get("access-control-allow-headers", "").split(",")]
        if "content-type" not in allowed_headers and "*" not in allowed_headers:
            return (
                "The page POSTs JSON, so its request carries content-type, and the preflight asks for it: "
                "AllowHeaders must list content-type."
            )
        return True

    def _congrats(self) -> str:
        return "The URL answers the shop's preflight itself; the browser may now send the POST."

    def solve(self) -> None:
        self.lab.client("lambda").update_function_url_config(
            FunctionName=SHOP_API,
            Cors={"AllowOrigins": [SHOP], "AllowMethods": ["POST"], "AllowHeaders": ["content-type"]},
        )

    def attempt_wrong(self) -> bool:
        self.lab.client("lambda").update_function_url_config(
            FunctionName=SHOP_API,
            Cors={"AllowOrigins": [SHOP], "AllowMethods": ["GET"], "AllowHeaders": ["content-type"]},
        )
        return True
