"""Requests no SDK would send: signed with the lab's keys, then written to the socket by hand."""

from __future__ import annotations

import socket

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import lambdalab


def send(
    lab: lambdalab.Lab,
    service: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    content_length: str | None = None,
    sent: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Sign ``body`` for ``service``, announce ``content_length`` (default: the body's),
    write ``sent`` (default: the body), stop sending, and read the answer."""
    keys = lab.credentials
    request = AWSRequest(method=method, url=lab.endpoint_url + path, data=body, headers=headers or {})
    SigV4Auth(Credentials(keys.access_key, keys.secret_key), service, lab.region).add_auth(request)
    host, port = lab.endpoint_url.removeprefix("http://").split(":")
    lines = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    lines["Content-Length"] = str(len(body)) if content_length is None else content_length
    lines["Host"] = f"{host}:{port}"
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in lines.items()) + "\r\n"
    with socket.create_connection((host, int(port)), timeout=60) as conn:
        conn.sendall(head.encode() + (body if sent is None else sent))
        conn.shutdown(socket.SHUT_WR)  # the client goes away (or has nothing more to say)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    top, _, rest = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = top.decode("latin-1").split("\r\n")
    parsed = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), parsed, rest
