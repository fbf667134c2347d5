"""Sealed audit trail (issue 7, item 1): whoever can write the database cannot rewrite it unseen.

Each tampering is done in SQL, as someone with database access would, after dropping the
read-only guards (as the other tamper tests do); ``audit.verify`` with the key file and the
anchor must name the first bad event exactly. Runs on SQLite and, with
``GENDAN_TEST_POSTGRES_URL``, on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from gendan import audit, seal
from gendan.audit import ChainReport, event_hash
from gendan.db import drop_audit_guards, unit_of_work
from gendan.models import GENESIS_HASH, AuditEvent, AuditHead, AuditSeal, ChainCheck
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10


def add_events(rt: Runtime, n: int, *, who: str = "王丽 (销售内勤)") -> None:
    """Append ``n`` events through the one path that extends the chain."""
    with unit_of_work(rt.db) as s:
        for i in range(n):
            audit.append(
                s,
                action="transition",
                actor_id=None,
                actor_name=who,
                at=MONDAY_10 + timedelta(minutes=i),
                order_no=f"SO-{i}",
                reason=f"step {i}",
            )


def sealed(rt: Runtime, events: int = 10) -> None:
    """``events`` events, a seal key, and a seal over all of them."""
    seal.init_key(seal.key_path(rt.settings))
    add_events(rt, events)
    report = audit.verify_seal_and_record(rt.settings, rt.db, now=MONDAY_10)
    assert report.ok and report.sealed_seq == events and report.unsealed == 0, report


def check(rt: Runtime) -> ChainReport:
    return audit.verify(rt.db, trust=seal.trust_from(rt.settings))


def chain(rt: Runtime) -> list[AuditEvent]:
    with Session(rt.db) as s:
        rows = s.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()
        for row in rows:
            s.expunge(row)
        return list(rows)


def rewrite(rt: Runtime, events: list[AuditEvent]) -> None:
    """Replace the whole trail by ``events``, renumbered and rehashed from the first, and move
    the head: what a tamperer who knows the hash rule does (no key needed)."""
    drop_audit_guards(rt.db)
    prev = GENESIS_HASH
    fresh = []
    for seq, ev in enumerate(events, start=1):
        copy = AuditEvent(**{f: getattr(ev, f) for f in audit.HASHED_FIELDS if f != "seq"})
        copy.seq, copy.prev_hash = seq, prev
        copy.hash = event_hash(copy)
        prev = copy.hash
        fresh.append(copy)
    with Session(rt.db) as s:
        s.execute(text("DELETE FROM auditevent"))
        s.flush()
        s.add_all(fresh)
        s.execute(
            text("UPDATE audithead SET seq = :seq, hash = :hash WHERE id = 1"),
            {"seq": len(fresh), "hash": prev},
        )
        s.commit()


def sql(rt: Runtime, *statements: str) -> None:
    with rt.db.begin() as conn:
        for stmt in statements:
            conn.execute(text(stmt))


def head_to(rt: Runtime, seq: int) -> None:
    """Move the chain's head back to event ``seq`` (its real hash), as a careful tamperer would."""
    with Session(rt.db) as s:
        h = s.exec(select(AuditEvent.hash).where(AuditEvent.seq == seq)).one() if seq else None
    sql(rt, f"UPDATE audithead SET seq = {seq}, hash = '{h or GENESIS_HASH}' WHERE id = 1")


# --- a clean chain -------------------------------------------------------------------------


def test_clean_sealed_chain_verifies_and_later_events_are_not_yet_sealed(rt: Runtime) -> None:
    sealed(rt, 10)
    report = check(rt)
    assert report.ok and report.checked == 10 and report.problems == ()
    assert report.sealed_seq == 10 and report.seals == 1 and report.anchor_ok is True
    assert report.unsealed == 0

    add_events(rt, 3)
    report = check(rt)
    assert report.ok and report.unsealed == 3 and report.sealed_seq == 10

    again = audit.verify_seal_and_record(rt.settings, rt.db, now=MONDAY_10 + timedelta(hours=1))
    assert again.ok and again.sealed_seq == 13 and again.unsealed == 0 and again.seals == 2
    lines = seal.anchor_path(rt.settings).read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [10, 13]
    first = json.loads(lines[0])
    assert set(first) >= {"seq", "hash", "at", "sig", "key", "pub"}
    with Session(rt.db) as s:
        assert s.exec(select(AuditEvent.hash).where(AuditEvent.seq == 10)).one() == first["hash"]
        last = s.exec(select(ChainCheck).order_by(ChainCheck.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None and last.ok and last.sealed_seq == 13 and last.anchor_ok is True
    assert check(rt).ok


def test_without_a_key_nothing_is_sealed_and_everything_is_not_yet_sealed(rt: Runtime) -> None:
    add_events(rt, 4)
    report = audit.verify_seal_and_record(rt.settings, rt.db, now=MONDAY_10)
    assert report.ok and report.sealed_seq is None and report.unsealed == 4
    assert report.anchor_ok is None and not seal.anchor_path(rt.settings).exists()


def test_many_events_are_sealed_in_several_seals_and_checked_by_each(rt: Runtime) -> None:
    key = seal.init_key(seal.key_path(rt.settings))
    add_events(rt, 7)
    made = seal.make_seals(
        rt.db, key=key, anchor=seal.anchor_path(rt.settings), now=MONDAY_10, max_events=3
    )
    assert [(m.first, m.seq) for m in made] == [(1, 3), (4, 6), (7, 7)]
    assert check(rt).ok
    events = chain(rt)
    events[4].reason = "rewritten"  # seq 5, in the second seal
    rewrite(rt, events)
    report = check(rt)
    assert not report.ok and report.first_broken_seq == 5 and "seal #6" in report.problem


# --- each tampering, named exactly ---------------------------------------------------------


def test_deleting_the_tail_and_moving_the_head_back_names_the_first_deleted(rt: Runtime) -> None:
    sealed(rt, 10)
    drop_audit_guards(rt.db)
    sql(rt, "DELETE FROM auditevent WHERE seq >= 8")
    head_to(rt, 7)
    report = check(rt)
    assert not report.ok and report.first_broken_seq == 8
    assert "missing" in report.problem and "#10" in report.problem


def test_deleting_the_last_two_events_names_the_first_of_them(rt: Runtime) -> None:
    """Without moving the head, and without any seal: the chain alone names event 9."""
    add_events(rt, 10)
    drop_audit_guards(rt.db)
    sql(rt, "DELETE FROM auditevent WHERE seq >= 9")
    report = audit.verify(rt.db)
    assert not report.ok and report.first_broken_seq == 9 and "truncated" in report.problem


def test_truncating_the_trail_and_resetting_the_head_names_event_1(rt: Runtime) -> None:
    sealed(rt, 10)
    drop_audit_guards(rt.db)
    if rt.db.dialect.name == "postgresql":
        sql(rt, "TRUNCATE auditevent")
    else:
        sql(rt, "DELETE FROM auditevent")
    head_to(rt, 0)
    report = check(rt)
    assert not report.ok and report.first_broken_seq == 1 and report.checked == 0
    assert "missing" in report.problem


def test_forging_an_event_with_recomputed_hashes_names_it(rt: Runtime) -> None:
    sealed(rt, 10)
    events = chain(rt)
    forged = AuditEvent(
        **{f: getattr(events[3], f) for f in audit.HASHED_FIELDS},
        hash="",
    )
    forged.actor_name, forged.action, forged.reason = "黄总 (总经理)", "transition", "批准"
    rewrite(rt, events[:4] + [forged] + events[4:])  # becomes seq 5; 5..10 renumbered 6..11
    report = check(rt)
    assert not report.ok and report.first_broken_seq == 5
    assert "differs from what seal #10 recorded" in report.problem


def test_forged_event_appended_after_the_last_seal_is_reported_not_yet_sealed(
    rt: Runtime,
) -> None:
    """After the last seal nothing can tell a forged event from a real one; it is counted."""
    sealed(rt, 10)
    events = chain(rt)
    forged = AuditEvent(**{f: getattr(events[-1], f) for f in audit.HASHED_FIELDS}, hash="")
    forged.reason = "forged"
    rewrite(rt, events + [forged])
    report = check(rt)
    assert report.ok and report.unsealed == 1 and report.sealed_seq == 10


def test_rewriting_an_event_and_rehashing_everything_after_it_names_it(rt: Runtime) -> None:
    sealed(rt, 10)
    events = chain(rt)
    events[2].reason = "edited later"  # seq 3
    rewrite(rt, events)
    report = check(rt)
    assert audit.verify(rt.db).ok  # the chain alone cannot see it: that is why seals exist
    assert not report.ok and report.first_broken_seq == 3


def test_deleting_one_event_and_renumbering_all_names_it(rt: Runtime) -> None:
    sealed(rt, 10)
    events = chain(rt)
    rewrite(rt, events[:5] + events[6:])  # seq 6 deleted, 7..10 become 6..9
    report = check(rt)
    assert not report.ok and report.first_broken_seq == 6


def test_changing_an_event_in_place_names_it(rt: Runtime) -> None:
    sealed(rt, 10)
    drop_audit_guards(rt.db)
    sql(rt, "UPDATE auditevent SET reason = 'edited' WHERE seq = 4")
    report = check(rt)
    assert not report.ok and report.first_broken_seq == 4 and "altered" in report.problem


# --- the seals themselves and the anchor ---------------------------------------------------


def test_a_seal_deleted_from_the_database_is_named_from_the_anchor(rt: Runtime) -> None:
    sealed(rt, 10)
    drop_audit_guards(rt.db)
    sql(rt, "DELETE FROM auditseal")
    report = check(rt)
    assert not report.ok and report.anchor_ok is False
    assert "seal #10 is in the anchor but missing from the database" in report.problems
    assert report.first_broken_seq is None  # the events themselves are intact


def test_a_seal_missing_from_the_anchor_is_named(rt: Runtime) -> None:
    sealed(rt, 10)
    anchor = seal.anchor_path(rt.settings)
    anchor.write_text("")  # the operator's copy lost its line
    report = check(rt)
    assert not report.ok and report.anchor_ok is False
    assert "seal #10 is in the database but not in the anchor" in report.problems


def test_a_seal_signed_with_another_key_is_refused(rt: Runtime) -> None:
    """A tamperer rewrites the trail and re-seals it in the database with a key of their own."""
    sealed(rt, 10)
    events = chain(rt)
    events[1].reason = "edited"
    rewrite(rt, events)
    sql(rt, "DELETE FROM auditseal")
    theirs = seal.init_key(seal.key_path(rt.settings).with_name("theirs.key"))
    their_anchor = seal.anchor_path(rt.settings).with_name("their-anchor.jsonl")
    seal.make_seals(rt.db, key=theirs, anchor=their_anchor, now=MONDAY_10)
    report = check(rt)
    # the anchor's seal still holds; without its row's list of hashes only the range is known
    assert not report.ok and report.first_broken_seq == 1 and "1..10" in report.problem
    assert any("neither the key file's nor in the anchor" in p for p in report.problems)


def test_an_altered_seal_row_fails_its_signature(rt: Runtime) -> None:
    sealed(rt, 10)
    drop_audit_guards(rt.db)
    sql(rt, "UPDATE auditseal SET hash = replace(hash, substr(hash, 1, 1), 'x')")
    report = check(rt)
    assert not report.ok
    assert "seal #10 in the database: the signature does not match" in report.problems


def _pg(rt: Runtime) -> bool:
    return rt.db.dialect.name == "postgresql"


# --- the guards in the database ------------------------------------------------------------


def test_the_database_refuses_to_change_delete_or_truncate_the_trail(rt: Runtime) -> None:
    sealed(rt, 3)
    refused = [
        "UPDATE auditevent SET reason = 'x' WHERE seq = 1",
        "DELETE FROM auditevent WHERE seq = 3",
        "UPDATE auditseal SET seq = 99",
        "DELETE FROM auditseal",
    ]
    if _pg(rt):
        refused += ["TRUNCATE auditevent", "TRUNCATE auditseal", "TRUNCATE auditevent CASCADE"]
    for stmt in refused:
        with pytest.raises(DBAPIError, match="read-only|cannot be truncated"):
            sql(rt, stmt)
    assert check(rt).ok and check(rt).checked == 3
    with Session(rt.db) as s:
        assert s.get(AuditHead, 1).seq == 3  # type: ignore[union-attr]
        assert len(s.exec(select(AuditSeal)).all()) == 1


def test_keys_init_refuses_to_overwrite(rt: Runtime) -> None:
    path = seal.key_path(rt.settings)
    key = seal.init_key(path)
    before = path.read_bytes()
    with pytest.raises(seal.SealError, match="already exists"):
        seal.init_key(path)
    assert path.read_bytes() == before
    assert seal.key_id(seal.load_key(path).public_key()) == seal.key_id(key.public_key())  # type: ignore[union-attr]
    assert (path.stat().st_mode & 0o777) == 0o600


def test_sealing_twice_seals_once_and_a_broken_chain_is_never_sealed(rt: Runtime) -> None:
    key = seal.init_key(seal.key_path(rt.settings))
    anchor = seal.anchor_path(rt.settings)
    add_events(rt, 5)
    assert [m.seq for m in seal.make_seals(rt.db, key=key, anchor=anchor, now=MONDAY_10)] == [5]
    assert seal.make_seals(rt.db, key=key, anchor=anchor, now=MONDAY_10) == []
    add_events(rt, 2)
    drop_audit_guards(rt.db)
    sql(rt, "UPDATE auditevent SET reason = 'edited' WHERE seq = 6")
    with pytest.raises(seal.SealError, match="event 6 is not intact"):
        seal.make_seals(rt.db, key=key, anchor=anchor, now=MONDAY_10)
    report = audit.verify_seal_and_record(rt.settings, rt.db, now=MONDAY_10)
    assert not report.ok and report.first_broken_seq == 6 and report.sealed_seq == 5
    assert len(anchor.read_text().splitlines()) == 1
    with Session(rt.db) as s:
        assert [r.seq for r in s.exec(select(AuditSeal)).all()] == [5]


def test_an_unreadable_anchor_line_is_reported(rt: Runtime) -> None:
    sealed(rt, 4)
    with seal.anchor_path(rt.settings).open("a") as f:
        f.write("not a seal\n")
    report = check(rt)
    assert not report.ok and report.anchor_ok is False
    assert "anchor line 2 is not a seal" in report.problems


def test_sealing_refuses_to_go_on_from_seals_the_anchor_does_not_end_with(rt: Runtime) -> None:
    """Seals deleted from the table would make the next seal cover a rewritten trail anew."""
    sealed(rt, 4)
    key = seal.load_key(seal.key_path(rt.settings))
    assert key is not None
    anchor = seal.anchor_path(rt.settings)
    add_events(rt, 2)
    drop_audit_guards(rt.db)
    sql(rt, "DELETE FROM auditseal")
    with pytest.raises(seal.SealError, match="differ"):
        seal.make_seals(rt.db, key=key, anchor=anchor, now=MONDAY_10)
    assert len(anchor.read_text().splitlines()) == 1
