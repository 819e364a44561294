"""JSON documents as AWS's parser takes them: any depth up to 1,000, without recursion.

Lambda parses request bodies and invoke payloads with Jackson, whose
``StreamReadConstraints`` refuse a document nested more than 1,000 levels deep
("Document nesting depth (1001) exceeds the maximum allowed (1000, from
`StreamReadConstraints.getMaxNestingDepth()`)",
https://github.com/FasterXML/jackson-core/blob/2.18/src/main/java/com/fasterxml/jackson/core/StreamReadConstraints.java).
Python's :func:`json.loads` recurses and gives up a little before that
(``RecursionError``), so the lab measures depth and checks syntax itself, with a
loop and a stack, before or instead of handing a document to :mod:`json`.
The 1,000-level limit is Jackson's default; which Jackson version Lambda runs is
not published.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 1000

_STRING = re.compile(rb'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_SPACE = re.compile(rb"[ \t\n\r]*")
_LITERALS = (b"true", b"false", b"null")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


class DocumentError(ValueError):
    """Not a JSON document AWS would parse; the message says why, as Jackson would."""


def nesting_depth(data: bytes) -> int:
    """How deep arrays and objects nest in ``data`` (strings skipped; syntax not checked)."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)  # C speed; usually a few bytes left
    depth = deepest = 0
    for c in brackets:
        if c in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads(data: bytes) -> Any:
    """The parsed document; DocumentError for bad syntax or nesting past :data:`MAX_DEPTH`."""
    _check_depth(data)
    try:
        return json.loads(data)
    except RecursionError:
        validate(data)
        raise DocumentError("the document nests too deeply for the lab to parse") from None
    except ValueError as err:
        raise DocumentError(str(err.args[0] if err.args else err)) from err


def check(data: bytes) -> None:
    """Raise DocumentError unless ``data`` is one JSON document AWS would accept."""
    _check_depth(data)
    try:
        json.loads(data)
    except RecursionError:
        validate(data)  # deeper than Python's recursion allows, not deeper than AWS's limit
    except ValueError as err:
        raise DocumentError(str(err.args[0] if err.args else err)) from err


def _check_depth(data: bytes) -> None:
    depth = nesting_depth(data)
    if depth > MAX_DEPTH:
        raise DocumentError(
            f"Document nesting depth ({MAX_DEPTH + 1}) exceeds the maximum allowed "
            f"({MAX_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)"
        )


def validate(data: bytes) -> None:
    """Check JSON syntax with a loop and a stack (no recursion, any depth)."""
    closers: list[bytes] = []  # b"]" or b"}" for each array or object still open
    i, want_value = 0, True
    while True:
        i = _skip_space(data, i)
        c = data[i : i + 1]
        if want_value:
            if c in (b"[", b"{"):
                closer = b"]" if c == b"[" else b"}"
                i = _skip_space(data, i + 1)
                if data[i : i + 1] == closer:  # empty
                    i, want_value = i + 1, False
                else:
                    closers.append(closer)
                    i = _key(data, i) if closer == b"}" else i
            else:
                i, want_value = _scalar(data, i), False
        elif not closers:
            if i != len(data):
                raise DocumentError(f"unexpected data after the document at byte {i}")
            return
        elif c == b",":
            i, want_value = i + 1, True
            if closers[-1] == b"}":
                i = _key(data, i)
        elif c == closers[-1]:
            closers.pop()
            i += 1
        else:
            raise DocumentError(f"unexpected character at byte {i}")


def _skip_space(data: bytes, i: int) -> int:
    hit = _SPACE.match(data, i)
    return hit.end() if hit else i


def _scalar(data: bytes, i: int) -> int:
    for rx in (_STRING, _NUMBER):
        hit = rx.match(data, i)
        if hit and hit.end() > i:
            return hit.end()
    for literal in _LITERALS:
        if data.startswith(literal, i):
            return i + len(literal)
    raise DocumentError(f"unexpected character at byte {i}")


def _key(data: bytes, i: int) -> int:
    """Consume ``"name":`` and return where its value starts."""
    i = _skip_space(data, i)
    hit = _STRING.match(data, i)
    if not hit:
        raise DocumentError(f"expected a field name at byte {i}")
    i = _skip_space(data, hit.end())
    if data[i : i + 1] != b":":
        raise DocumentError(f"expected ':' at byte {i}")
    return i + 1
