"""A guard in front of every route: body size, NUL characters, ids beyond the columns.

- A body over ``MAX_BODY`` (1 MB) is a 413, before any route reads it (Content-Length, or
  counted while it streams in). Only the routes named in ``large_bodies`` (file uploads, see
  ``api.routes_discussion.upload_limits``) accept more, each up to its own limit.
- A NUL character anywhere a person can put text — the path, the query string, a form or JSON
  body — is a 422 naming the field: PostgreSQL cannot store it in text, and no form needs it.
  This holds before logging in too (``POST /api/token``, ``POST /login``).
- On the pages (not ``/api``, whose routes declare their bounds and answer 422 naming the
  parameter), a path segment of digits beyond ``MAX_ID`` is a 404: no row can have that id.

A pure ASGI middleware: the body is read once (at most 1 MB) and handed on unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gendan.limits import MAX_BODY, MAX_ID

NUL_REASON = "must not contain NUL characters / 不得包含 NUL 字符"


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        max_body: int = MAX_BODY,
        large_bodies: Sequence[tuple[str, str, int]] = (),
    ) -> None:
        self.app = app
        self.max_body = max_body
        #: (method, path pattern, limit): the few routes that take larger bodies.
        self.large_bodies = [(m, re.compile(p), n) for m, p, n in large_bodies]

    def limit_for(self, scope: Scope) -> int:
        """The body limit of this request: its route's own (an upload), else ``max_body``."""
        method, path = scope.get("method", ""), scope.get("path", "")
        for want, pattern, limit in self.large_bodies:
            if method == want and pattern.fullmatch(path):
                return limit
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if "\x00" in path:
            await _answer(send, 422, "NUL character in the path", {"path": NUL_REASON})
            return
        if not path.startswith("/api") and _id_beyond_range(path):
            await _answer(send, 404, "Not Found")
            return
        bad = _nul_field(scope.get("query_string", b""))
        if bad:
            await _answer(send, 422, "NUL character in the query string", {bad: NUL_REASON})
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        length = headers.get("content-length", b"")
        limit = self.limit_for(scope)
        if length.strip().isdigit() and int(length) > limit:
            await _too_large(send, limit)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and not length:
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive, limit)
        if not complete:
            await _too_large(send, limit)
            return
        bad = _body_nul_field(body, headers.get("content-type", b"").decode("latin-1"))
        if bad:
            await _answer(send, 422, "NUL character in the request body", {bad: NUL_REASON})
            return
        await self.app(scope, _replay(body, receive), send)


def _id_beyond_range(path: str) -> bool:
    for segment in path.split("/"):
        if segment.isascii() and segment.isdigit() and (len(segment) > 10 or int(segment) > MAX_ID):
            return True
    return False


def _nul_field(encoded: bytes) -> str | None:
    """The name of the first urlencoded field with a NUL in its name or value."""
    if b"%00" not in encoded and b"\x00" not in encoded:
        return None
    for key, value in parse_qsl(encoded.decode("latin-1"), keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "query"
    return None


def _body_nul_field(body: bytes, content_type: str) -> str | None:
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _nul_field(body)
    if "json" in content_type:
        if b"\\u0000" not in body and b"\x00" not in body:
            return None
        try:
            return _json_nul_field(json.loads(body), "") or None
        except ValueError:
            return "body" if b"\x00" in body else None  # the route answers malformed JSON
    return "body" if b"\x00" in body and not content_type.startswith(BINARY_BODIES) else None


#: Bodies that are files, not text: an XLSX import (a zip) holds NUL bytes by nature; its
#: cells cannot (XML forbids them), and the file is read by openpyxl, never stored as sent.
BINARY_BODIES = ("multipart/", "application/octet-stream", "application/vnd.openxmlformats")


def _json_nul_field(value: Any, where: str) -> str | None:
    """The dotted path of the first JSON string (key or value) that holds a NUL."""
    if isinstance(value, str):
        return (where or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{key}" if where else str(key)
            if "\x00" in key:
                return here.replace("\x00", "")
            found = _json_nul_field(item, here)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _json_nul_field(item, f"{where}.{i}" if where else str(i))
            if found:
                return found
    return None


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _too_large(send: Send, limit: int) -> None:
    await _answer(send, 413, f"the request body is larger than {limit // 1024} KiB / 请求过大")


async def _answer(
    send: Send, status: int, detail: str, errors: dict[str, str] | None = None
) -> None:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


#: An id in a path: 1..MAX_ID (documented in OpenAPI; beyond it FastAPI answers 422).
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID, description=f"an id from 1 to {MAX_ID}")]
