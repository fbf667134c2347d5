"""Comments and attachments on an instance: the page forms, the download, and their API twins.

Pages: ``POST /instances/{id}/comments`` and ``POST /instances/{id}/attachments`` (CSRF token in
the form, multipart for the file) go back to the page they came from; ``GET /attachments/{id}``
downloads. API (bearer token): the same under ``/api`` plus ``GET /api/instances/{id}/
discussion``. Only readers of the instance may do any of it (``gendan.discussion``).

The upload routes alone accept bodies beyond the 1 MB every other route keeps
(``upload_limits`` → ``api.guard.RequestGuard``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.datastructures import UploadFile as StarletteUpload

from api.deps import ApiActor, Db, Now, Rt
from api.errors import API_ERRORS, ErrorBody
from api.guard import ObjectId
from api.web import Me, form_with_csrf, render, templates
from gendan.attachments import (
    CONTENT_TYPES,
    add_attachment,
    content_disposition,
    read_attachment,
)
from gendan.comments import add_comment
from gendan.db import reader, unit_of_work
from gendan.discussion import DiscussionItem, for_instance, for_order, readable_instance
from gendan.errors import InvalidForm, NotAllowed, NotFound
from gendan.limits import MAX_TEXT
from gendan.org import Actor
from gendan.settings import Settings

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["discussion"], responses=API_ERRORS)

#: Room for the multipart framing and the small fields around the file.
MULTIPART_OVERHEAD = 64 * 1024
UPLOAD_PATH = r"(/api)?/instances/[0-9]{1,10}/attachments"


def max_file_bytes(settings: Settings) -> int:
    return settings.attachment_max_mb * 1024 * 1024


def upload_limits(settings: Settings) -> list[tuple[str, str, int]]:
    """The routes that take a file, with their body limit, for ``RequestGuard``."""
    return [("POST", UPLOAD_PATH, max_file_bytes(settings) + MULTIPART_OVERHEAD)]


# --------------------------------------------------------------------------- pages


def _back(value: Any, instance_id: int) -> str:
    """Where the form returns: the page it was on (an instance, task or order page)."""
    target = str(value or "")
    if not target.startswith(("/instances/", "/tasks/", "/orders/")) or "//" in target:
        target = f"/instances/{instance_id}"
    return target.split("#", 1)[0] + "#discussion"


def _check_reader(rt: Any, instance_id: int, actor: Actor) -> None:
    """Refuse a stranger (403) or a missing instance (404) before looking at what they sent:
    whatever the body, someone who may not read the instance learns nothing else."""
    with Session(reader(rt.db)) as s:
        readable_instance(s, instance_id, actor)


async def _file_of(upload: Any, limit: int) -> tuple[str, bytes]:
    """Name and bytes of a posted file, reading at most one byte beyond ``limit`` (so a
    larger file is recognised without holding all of it)."""
    if not isinstance(upload, StarletteUpload):
        raise InvalidForm({"file": "choose a file / 请选择文件"})
    content = await upload.read(limit + 1)
    return upload.filename or "", content


def _refused(
    request: Request, me: Any, instance_id: int, back: str, exc: InvalidForm, body: str = ""
) -> Response:
    """422: the reasons at the top (focused), the comment box again with what was typed."""
    ctx = {
        "me": me,
        "instance_id": instance_id,
        "errors": exc.errors,
        "back": back.split("#", 1)[0],
        "disc_body": body,
    }
    return render(request, "discussion_error.html", ctx, status=422)


@pages.post("/instances/{instance_id}/comments")
async def comment_page(instance_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    back = _back(data.get("next"), instance_id)
    body = str(data.get("body", ""))
    try:
        with unit_of_work(rt.db) as s:
            add_comment(s, instance_id=instance_id, actor=me.actor, body=body, now=now)
    except InvalidForm as exc:
        return _refused(request, me, instance_id, back, exc, body)
    return RedirectResponse(back, status_code=303)


@pages.post("/instances/{instance_id}/attachments")
async def attachment_page(instance_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    back = _back(data.get("next"), instance_id)
    limit = max_file_bytes(rt.settings)
    _check_reader(rt, instance_id, me.actor)
    try:
        filename, content = await _file_of(data.get("file"), limit)
        with unit_of_work(rt.db) as s:
            add_attachment(
                s,
                instance_id=instance_id,
                actor=me.actor,
                filename=filename,
                content=content,
                now=now,
                max_bytes=limit,
                note=str(data.get("note", "")),
            )
    except InvalidForm as exc:
        return _refused(request, me, instance_id, back, exc)
    return RedirectResponse(back, status_code=303)


def download(db: Session, attachment_id: int, actor: Actor) -> Response:
    """The same bytes back, as a download of our own content type: never shown inline, never
    sniffed, sandboxed if a browser opens it anyway."""
    att, content = read_attachment(db, attachment_id, actor)
    return Response(
        content,
        media_type=att.content_type,
        headers={
            "Content-Disposition": content_disposition(att.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Checksum-SHA256": att.sha256,
        },
    )


@pages.get("/attachments/{attachment_id}")
def attachment_download_page(attachment_id: int, me: Me, db: Db) -> Response:
    return download(db, attachment_id, me.actor)


# --------------------------------------------------------------------------- the partial


def discussion_of(request: Request, me: Any, instance_id: int) -> list[DiscussionItem]:
    """The partial's list when the page did not pass one (``_discussion.html``): the
    instance's comments and attachments for the signed-in reader."""
    if me is None:
        return []
    with Session(reader(request.app.state.rt.db)) as s:
        try:
            return for_instance(s, instance_id, me.actor)
        except (NotAllowed, NotFound):
            return []


def discussion_of_order(request: Request, me: Any, order_no: str) -> list[DiscussionItem]:
    """The order page's list: every procedure run of the order the reader may read
    (``{% with discussion = discussion_of_order(request, me, order_no) %}``)."""
    if me is None:
        return []
    with Session(reader(request.app.state.rt.db)) as s:
        return for_order(s, order_no, me.actor)


def file_size(size: int) -> str:
    """``2.4 MB``, ``830 KB``, ``12 B``."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


templates.env.globals["discussion_of"] = discussion_of
templates.env.globals["discussion_of_order"] = discussion_of_order
templates.env.filters["file_size"] = file_size


# --------------------------------------------------------------------------- API


class CommentIn(BaseModel):
    """Choice: an empty or missing text is refused by the engine (422 naming ``body``) after
    the read check, because a stranger must get 403 whatever they send."""

    body: str = Field(
        default="",
        max_length=MAX_TEXT,
        description="the text; @username mentions an active colleague (copied in, notified)",
        examples=["请 @sales_head 确认价格 / please check the price"],
    )


class DiscussionOut(BaseModel):
    """A comment or an attachment of an instance (times in UTC)."""

    kind: str = Field(description="comment | attachment")
    id: int
    instance_id: int
    order_no: str
    at: datetime
    author: str
    body: str = ""
    mentions: list[str] = Field(default_factory=list, description="usernames @mentioned")
    filename: str = ""
    content_type: str = ""
    size: int = 0
    sha256: str = Field("", description="SHA-256 of the file's bytes, hex")
    note: str = ""
    download: str | None = Field(None, description="the API path that downloads the file")


def _out(item: DiscussionItem) -> DiscussionOut:
    out = DiscussionOut(
        **{k: getattr(item, k) for k in DiscussionOut.model_fields if k != "download"}
    )
    if item.kind == "attachment":
        out.download = f"/api/attachments/{item.id}"
    return out


def _one(rt: Any, actor: Actor, instance_id: int, kind: str, item_id: int) -> DiscussionOut:
    with Session(reader(rt.db)) as s:
        items = for_instance(s, instance_id, actor)
    return _out(next(i for i in items if i.kind == kind and i.id == item_id))


@api.get("/instances/{instance_id}/discussion")
def discussion_api(instance_id: ObjectId, actor: ApiActor, db: Db) -> list[DiscussionOut]:
    """The instance's comments and attachments, oldest first."""
    return [_out(i) for i in for_instance(db, instance_id, actor)]


@api.post("/instances/{instance_id}/comments", status_code=201)
def comment_api(
    instance_id: ObjectId, body: CommentIn, actor: ApiActor, rt: Rt, now: Now
) -> DiscussionOut:
    """Comment on the instance; every @username must be an active colleague (else 422 naming
    it, nothing written), who is then copied on the instance and notified."""
    with unit_of_work(rt.db) as s:
        comment = add_comment(s, instance_id=instance_id, actor=actor, body=body.body, now=now)
        cid = comment.id
    assert cid is not None
    return _one(rt, actor, instance_id, "comment", cid)


@api.post(
    "/instances/{instance_id}/attachments",
    status_code=201,
    responses={413: {"model": ErrorBody, "description": "file larger than the limit (20 MB)"}},
)
async def attachment_api(
    instance_id: ObjectId,
    actor: ApiActor,
    rt: Rt,
    now: Now,
    file: Annotated[
        UploadFile | None, File(description="pdf, images, dwg/dxf, Office, csv, txt, zip")
    ] = None,
    note: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> DiscussionOut:
    """Attach a file to the instance: stored with its SHA-256; the type is checked from the
    file's own bytes (422 if not allowed or not what its extension says)."""
    limit = max_file_bytes(rt.settings)
    _check_reader(rt, instance_id, actor)
    filename, content = await _file_of(file, limit)
    with unit_of_work(rt.db) as s:
        att = add_attachment(
            s,
            instance_id=instance_id,
            actor=actor,
            filename=filename,
            content=content,
            now=now,
            max_bytes=limit,
            note=note,
        )
        aid = att.id
    assert aid is not None
    return _one(rt, actor, instance_id, "attachment", aid)


BINARY = {"schema": {"type": "string", "format": "binary"}}


@api.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {
            "description": "the file's bytes as uploaded (Content-Disposition: attachment)",
            "content": {t.split(";")[0]: BINARY for t in CONTENT_TYPES},
        }
    },
)
def attachment_download_api(attachment_id: ObjectId, actor: ApiActor, db: Db) -> Response:
    """Download an attachment (readers of its instance only; 403 names nothing of it)."""
    return download(db, attachment_id, actor)
