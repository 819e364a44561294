"""Browser check: a function URL opened in chromium shows the handler's page, and a streamed response reaches
the page in parts (the first part before the function has written the second)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from stream_gate import Gate, gated_function, running_gate
from support import create_python

import lambdalab
from lambdalab.course import open_url_to_everyone

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
)
#: how long the browser may take on a busy machine (a limit, never a measurement)
WAIT_MS = 60_000
PAGE = """def handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "visitor")
    return {"statusCode": 200, "headers": {"Content-Type": "text/html; charset=utf-8"},
            "body": f"<!doctype html><title>hello-page</title><h1 id='greeting'>Hello, {name}!</h1>"
                    f"<p id='path'>{event['rawPath']}</p>"}
"""
#: reads a streamed response in the page: each part as it arrives, then done
READ_STREAM = """async (url) => {
  window.parts = [];
  window.done = false;
  const response = await fetch(url);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    window.parts.push(decoder.decode(value));
  }
  window.done = true;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def gate() -> Iterator[Gate]:
    with running_gate() as g:
        yield g


def test_the_page_of_a_function_url(lab: lambdalab.Lab, role_arn: str, browser: Any) -> None:
    name = create_python(lab, role_arn, PAGE, FunctionName="hello-page-browser")
    url = lab.client("lambda").create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    open_url_to_everyone(lab, name)
    page = browser.new_page(viewport={"width": 1024, "height": 400})
    try:
        response = page.goto(url + "shop/tea?name=Ada", timeout=WAIT_MS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "function-url-page.png"))
        assert response is not None and response.status == 200
        assert page.title() == "hello-page"
        assert page.inner_text("#greeting") == "Hello, Ada!"
        assert page.inner_text("#path") == "/shop/tea"
    finally:
        page.close()


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_a_streamed_response_arrives_in_parts(lab: lambdalab.Lab, role_arn: str, browser: Any, gate: Gate) -> None:
    lam = lab.client("lambda")
    home = create_python(lab, role_arn, PAGE, FunctionName="stream-home")
    home_url = lam.create_function_url_config(FunctionName=home, AuthType="NONE")["FunctionUrl"]
    open_url_to_everyone(lab, home)
    streamer = gated_function(lab, role_arn, gate)
    stream_url = lam.create_function_url_config(FunctionName=streamer, AuthType="NONE", InvokeMode="RESPONSE_STREAM")[
        "FunctionUrl"
    ]
    open_url_to_everyone(lab, streamer)
    page = browser.new_page()
    try:
        page.goto(home_url, timeout=WAIT_MS)  # the same origin as the stream: one listener serves both
        page.evaluate(f"() => {{ ({READ_STREAM})({stream_url!r}); }}")
        page.wait_for_function("() => window.parts.length >= 1", timeout=WAIT_MS)
        assert page.evaluate("() => [window.parts, window.done]") == [["part 0;"], False]
        gate.open.set()  # only now does the function write its second part
        page.wait_for_function("() => window.done", timeout=WAIT_MS)
        assert "".join(page.evaluate("() => window.parts")) == "part 0;part 1;"
    finally:
        page.close()
