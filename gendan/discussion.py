"""The discussion of an instance or an order: its comments and attachments in time order.

Read side for the instance page, the task page and the order page (``_discussion.html``):
``for_instance`` for one instance a person may read, ``for_order`` for every instance of an
order the person may read (an order's other procedures may be closed to them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from gendan.errors import NotAllowed, NotFound
from gendan.models import Attachment, Comment, Instance, User
from gendan.org import Actor
from gendan.queries import can_view


@dataclass(frozen=True)
class DiscussionItem:
    """One comment or attachment as a page or the API shows it."""

    kind: str  # comment | attachment
    id: int
    instance_id: int
    order_no: str
    at: datetime
    author: str
    body: str = ""
    #: Usernames @mentioned (comments).
    mentions: list[str] = field(default_factory=list)
    filename: str = ""
    content_type: str = ""
    size: int = 0
    sha256: str = ""
    note: str = ""


def readable_instance(session: Session, instance_id: int, actor: Actor) -> Instance:
    """The instance, for a person who may read it (404 if none, 403 otherwise)."""
    inst = session.get(Instance, instance_id)
    if inst is None:
        raise NotFound(f"no instance {instance_id}")
    if not can_view(session, actor, instance_id):
        raise NotAllowed("you may not read this instance / 无权查看")
    return inst


def for_instance(session: Session, instance_id: int, reader: Actor) -> list[DiscussionItem]:
    """The instance's comments and attachments, oldest first (403 for a non-reader)."""
    readable_instance(session, instance_id, reader)
    return _items(session, [instance_id])


def for_order(session: Session, order_no: str, reader: Actor) -> list[DiscussionItem]:
    """Comments and attachments of every instance of the order the reader may read, oldest
    first; an instance the reader may not read contributes nothing (not even a count)."""
    ids = session.exec(select(Instance.id).where(Instance.order_no == order_no)).all()
    return _items(session, [i for i in ids if i is not None and can_view(session, reader, i)])


def _items(session: Session, instance_ids: list[int]) -> list[DiscussionItem]:
    if not instance_ids:
        return []
    comments = session.exec(
        select(Comment).where(Comment.instance_id.in_(instance_ids)).order_by(Comment.id)
    ).all()
    files = session.exec(
        select(Attachment).where(Attachment.instance_id.in_(instance_ids)).order_by(Attachment.id)
    ).all()
    user_ids = {c.author_id for c in comments} | {a.uploaded_by_id for a in files}
    user_ids |= {int(u) for c in comments for u in (c.mentions or [])}
    users = (
        {u.id: u for u in session.exec(select(User).where(User.id.in_(user_ids))).all()}
        if user_ids
        else {}
    )

    def name(uid: int) -> str:
        user = users.get(uid)
        return user.display_name if user else f"#{uid}"

    items = [
        DiscussionItem(
            kind="comment",
            id=c.id or 0,
            instance_id=c.instance_id,
            order_no=c.order_no,
            at=c.created_at,
            author=name(c.author_id),
            body=c.body,
            mentions=[users[int(u)].username for u in c.mentions or [] if int(u) in users],
        )
        for c in comments
    ]
    items += [
        DiscussionItem(
            kind="attachment",
            id=a.id or 0,
            instance_id=a.instance_id,
            order_no=a.order_no,
            at=a.created_at,
            author=name(a.uploaded_by_id),
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            sha256=a.sha256,
            note=a.note,
        )
        for a in files
    ]
    return sorted(items, key=lambda i: (i.at, 0 if i.kind == "comment" else 1, i.id))
