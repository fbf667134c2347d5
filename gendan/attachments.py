"""Files on an instance: drawings, the customer's PO photo, a signed scan.

An attachment is stored with its SHA-256 (hex) and size; the bytes go to ``AttachmentBlob`` in
the same database, so every app server sees them and a backup holds them. Adding one is an
audit event on the instance (``attachment_added``: id, filename, size, sha256, content type),
so the trail's hash chain vouches for the file as it was uploaded.

Choice (who): whoever may read the instance (``queries.can_view``) may attach to it and
download its files, because a file is part of the instance's record — as in ERPNext, where
anyone who can open a document can attach to it; anyone else gets 403 without the filename.

Choice (types): a short allow-list by extension, and for images, PDF and the Office/ZIP and
CAD formats the file's first bytes must be what the extension says; the browser's content
type is ignored and the type sent back on download is ours. Because a browser's type is
whatever the client claims, and a renamed HTML or executable must not come back as a "PNG"
(downloads also carry ``Content-Disposition: attachment`` and ``nosniff``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlmodel import Session, select

from gendan import audit
from gendan.discussion import readable_instance
from gendan.errors import InvalidForm, NotAllowed, NotFound, TooLarge
from gendan.limits import MAX_TEXT, require_text
from gendan.models import Attachment, AttachmentBlob
from gendan.org import Actor
from gendan.queries import can_view

#: Longest filename kept (characters, extension included).
MAX_FILENAME = 200


def _starts(*magics: bytes) -> Callable[[bytes], bool]:
    return lambda data: any(data.startswith(m) for m in magics)


def _webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _text(data: bytes) -> bool:
    """Plain text (txt, csv, dxf): UTF-8 or GB18030, no NUL."""
    if b"\x00" in data:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


_ZIP = _starts(b"PK\x03\x04", b"PK\x05\x06")
_OLE = _starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # .doc, .xls (Office 97-2003)


@dataclass(frozen=True)
class FileKind:
    content_type: str
    #: What the first bytes must look like for this extension.
    check: Callable[[bytes], bool]
    #: Said in the 422 when the bytes are not of this kind.
    name: str


#: The allow-list: extension → the type sent back and the check of the bytes.
KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", _starts(b"%PDF-"), "PDF"),
    "png": FileKind("image/png", _starts(b"\x89PNG\r\n\x1a\n"), "PNG"),
    "jpg": FileKind("image/jpeg", _starts(b"\xff\xd8\xff"), "JPEG"),
    "jpeg": FileKind("image/jpeg", _starts(b"\xff\xd8\xff"), "JPEG"),
    "gif": FileKind("image/gif", _starts(b"GIF87a", b"GIF89a"), "GIF"),
    "webp": FileKind("image/webp", _webp, "WebP"),
    "tif": FileKind("image/tiff", _starts(b"II*\x00", b"MM\x00*"), "TIFF"),
    "tiff": FileKind("image/tiff", _starts(b"II*\x00", b"MM\x00*"), "TIFF"),
    "dwg": FileKind("image/vnd.dwg", _starts(b"AC10", b"AC1."), "DWG"),
    "dxf": FileKind("image/vnd.dxf", _text, "DXF (text)"),
    "xlsx": FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP, "XLSX"
    ),
    "xls": FileKind("application/vnd.ms-excel", _OLE, "XLS"),
    "docx": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP, "DOCX"
    ),
    "doc": FileKind("application/msword", _OLE, "DOC"),
    "csv": FileKind("text/csv; charset=utf-8", _text, "CSV (text)"),
    "txt": FileKind("text/plain; charset=utf-8", _text, "text"),
    "zip": FileKind("application/zip", _ZIP, "ZIP"),
}

#: Every content type a download may carry (for the API's documented responses).
CONTENT_TYPES = sorted({k.content_type for k in KINDS.values()})

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def clean_filename(raw: str) -> str:
    """The name to keep: the last path part (a browser may send ``C:\\scans\\po.jpg``),
    Unicode NFC (Chinese names stay), no control or path characters, no leading dots, at most
    ``MAX_FILENAME`` characters with the extension kept; "" when nothing is left."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).lstrip(". ").rstrip(". ")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_FILENAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME]
    return name


def extension(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


def kind_of(filename: str, content: bytes) -> FileKind:
    """The file's kind from its extension, confirmed by its bytes; else a 422 naming ``file``."""
    ext = extension(filename)
    kind = KINDS.get(ext)
    if kind is None:
        allowed = ", ".join(sorted(KINDS))
        raise InvalidForm(
            {"file": f"type '.{ext or '?'}' not allowed; allowed: {allowed} / 不允许的文件类型"}
        )
    if not kind.check(content):
        raise InvalidForm(
            {"file": f"the content is not {kind.name} as '.{ext}' says / 文件内容与类型不符"}
        )
    return kind


def add_attachment(
    session: Session,
    *,
    instance_id: int,
    actor: Actor,
    filename: str,
    content: bytes,
    now: datetime,
    max_bytes: int,
    note: str = "",
) -> Attachment:
    """Attach ``content`` to the instance inside the caller's unit of work: checked (reader of
    the instance, size, allow-listed type confirmed by its bytes, filename), stored with its
    SHA-256, audited as ``attachment_added``. Nothing is written when a check fails."""
    inst = readable_instance(session, instance_id, actor)
    if len(content) > max_bytes:
        raise TooLarge(
            f"the file is {len(content):,} bytes; at most {max_bytes:,} bytes "
            f"({max_bytes // (1024 * 1024)} MB) / 文件过大"
        )
    name = clean_filename(filename)
    if not name or not content:
        raise InvalidForm({"file": "choose a non-empty file / 请选择文件"})
    kind = kind_of(name, content)
    require_text("note", note, MAX_TEXT)
    if "\x00" in note:
        raise InvalidForm({"note": "must not contain NUL characters / 不得包含 NUL 字符"})
    digest = hashlib.sha256(content).hexdigest()
    att = Attachment(
        instance_id=instance_id,
        order_no=inst.order_no,
        uploaded_by_id=actor.user_id,
        filename=name,
        content_type=kind.content_type,
        size=len(content),
        sha256=digest,
        note=note.strip(),
        created_at=now,
    )
    session.add(att)
    session.flush()
    assert att.id is not None
    session.add(AttachmentBlob(attachment_id=att.id, content=content))
    audit.append(
        session,
        action="attachment_added",
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        at=now,
        instance_id=instance_id,
        order_no=inst.order_no,
        detail={
            "attachment_id": att.id,
            "filename": name,
            "size": att.size,
            "sha256": digest,
            "content_type": kind.content_type,
        },
    )
    return att


def list_attachments(session: Session, instance_id: int) -> list[Attachment]:
    """The instance's attachments, oldest first (facts only, not the bytes)."""
    return list(
        session.exec(
            select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.id)
        ).all()
    )


def read_attachment(session: Session, attachment_id: int, actor: Actor) -> tuple[Attachment, bytes]:
    """An attachment and its bytes for a reader of its instance; 403 (naming nothing of the
    file) for anyone else, 404 if there is none."""
    att = session.get(Attachment, attachment_id)
    if att is None:
        raise NotFound(f"no attachment {attachment_id}")
    if not can_view(session, actor, att.instance_id):
        raise NotAllowed("you may not read this attachment / 无权下载此附件")
    blob = session.get(AttachmentBlob, attachment_id)
    if blob is None:
        raise NotFound(f"no content for attachment {attachment_id}")
    return att, bytes(blob.content)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one (RFC 6266 / 5987), so a
    Chinese filename survives and nothing in it can break the header."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()\-]", "_", ascii_name) or "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
