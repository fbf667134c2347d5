"""Comments on an instance (备注/评论), with @mentions that copy a colleague in.

A comment is written with one audit event on the instance (``comment``: comment id, the
@mentioned usernames and the text), so it appears in any timeline built from the trail and
the hash chain vouches for it; comments are never edited or deleted.

``@username`` in the text mentions a colleague: each must be an active user (an unknown or
deactivated name is a 422 naming it, and nothing is written). Each person mentioned is copied
on the instance (``copies.copy_to``, reason ``mention``: it lists under their "copied to me")
and notified (outbox template ``mention``). Copied people may read the instance
(``queries.can_view``), so they can answer there.

Choice (who): whoever may read the instance may comment on it, because a remark belongs to
the record everyone who reads it should see — the DingTalk/ERPNext model; a person who may
not read it gets 403.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, select

from gendan import audit
from gendan.copies import copy_to
from gendan.discussion import readable_instance
from gendan.errors import InvalidForm
from gendan.limits import MAX_TEXT
from gendan.message_context import reference
from gendan.models import Comment, Instance, User
from gendan.org import Actor
from gendan.outbox import enqueue
from states import PROCEDURES

#: ``@name``: not inside an e-mail address or a word of ASCII letters ("请@sales_head 看看"
#: mentions sales_head; "a@b.com" mentions no one). A trailing dot ends the sentence.
MENTION = re.compile(r"(?<![A-Za-z0-9_.@])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)")

#: How much of the comment the notification quotes.
EXCERPT = 200


def mentioned_names(body: str) -> list[str]:
    """The @usernames in ``body``, in order of first appearance, each once."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(body):
        seen.setdefault(match.group(1), None)
    return list(seen)


def resolve_mentions(session: Session, names: list[str]) -> list[User]:
    """The active users named; a 422 on ``body`` naming every unknown or inactive @name."""
    if not names:
        return []
    users = session.exec(select(User).where(User.username.in_(names))).all()
    active = {u.username: u for u in users if u.is_active}
    unknown = [n for n in names if n not in active]
    if unknown:
        listed = ", ".join(f"@{n}" for n in unknown)
        raise InvalidForm({"body": f"no such active colleague: {listed} / 无此同事：{listed}"})
    return [active[n] for n in names]


def check_body(body: str) -> str:
    """The comment's text, stripped: required, at most ``MAX_TEXT`` characters, no NUL."""
    text = (body or "").strip()
    if not text:
        raise InvalidForm({"body": "write a comment / 请输入评论"})
    if len(text) > MAX_TEXT:
        raise InvalidForm({"body": f"at most {MAX_TEXT} characters / 不超过 {MAX_TEXT} 个字符"})
    if "\x00" in text:
        raise InvalidForm({"body": "must not contain NUL characters / 不得包含 NUL 字符"})
    return text


def add_comment(
    session: Session, *, instance_id: int, actor: Actor, body: str, now: datetime
) -> Comment:
    """Write a comment inside the caller's unit of work: checked (reader of the instance, text,
    every @name an active colleague), audited as ``comment``, the mentioned copied in and
    notified. Nothing is written when a check fails."""
    inst = readable_instance(session, instance_id, actor)
    text = check_body(body)
    people = resolve_mentions(session, mentioned_names(text))
    others = [u for u in people if u.id != actor.user_id]
    comment = Comment(
        instance_id=instance_id,
        order_no=inst.order_no,
        author_id=actor.user_id,
        body=text,
        mentions=[u.id for u in people],
        created_at=now,
    )
    session.add(comment)
    session.flush()
    assert comment.id is not None
    audit.append(
        session,
        action="comment",
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        at=now,
        instance_id=instance_id,
        order_no=inst.order_no,
        detail={
            "comment_id": comment.id,
            "mentions": [u.username for u in people],
            "text": text,
        },
    )
    if others:
        copy_to(
            session,
            inst,
            [u.id for u in others if u.id],
            reason="mention",
            now=now,
            by_id=actor.user_id,
        )
        _notify(session, inst, comment, actor, others, now)
    return comment


def _notify(
    session: Session,
    inst: Instance,
    comment: Comment,
    actor: Actor,
    people: list[User],
    now: datetime,
) -> None:
    proc = PROCEDURES.get(inst.procedure)
    excerpt = comment.body if len(comment.body) <= EXCERPT else comment.body[:EXCERPT] + "…"
    for user in people:
        enqueue(
            session,
            cause=f"mention:{comment.id}:{user.id}",
            users=[user],
            template="mention",
            context={
                "instance_id": inst.id,
                **reference(inst),
                "comment_id": comment.id,
                "author": actor.display_name,
                "procedure_zh": proc.title_zh if proc else inst.procedure,
                "procedure_en": proc.title_en if proc else inst.procedure,
                "excerpt": excerpt,
                "at": now,
            },
            now=now,
        )


def list_comments(session: Session, instance_id: int) -> list[Comment]:
    """The instance's comments, oldest first."""
    return list(
        session.exec(
            select(Comment).where(Comment.instance_id == instance_id).order_by(Comment.id)
        ).all()
    )
