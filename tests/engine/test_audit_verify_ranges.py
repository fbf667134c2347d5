"""``audit verify --workers 2`` (issue 11): worker processes read and re-hash ranges of seq
with connections of their own, and the report is the one process's report, exactly — a
tampered event in the 2nd range, at a range's edge, a link or an event missing across a
boundary, the quick walk after a seal and its fallback. Ranges are ``batch`` seqs long: with
``batch=10`` they are 1-10, 11-20, 21-30 … Real database, tampering in SQL after dropping the
read-only guards, as the other tamper tests do."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from gendan import audit, chain_walk, seal
from gendan.audit import ChainReport, event_hash
from gendan.db import drop_audit_guards, reader
from gendan.models import AuditEvent
from gendan.runtime import Runtime
from tests.engine.test_audit_seal import add_events, sealed
from tests.engine.test_audit_verify_walk import tamper

BATCH = 10


def both(rt: Runtime, **kw: object) -> ChainReport:
    """The report with two workers, after checking it equals the one-process report."""
    one = audit.verify(rt.db, batch=BATCH, workers=1, **kw)  # type: ignore[arg-type]
    two = audit.verify(rt.db, batch=BATCH, workers=2, **kw)  # type: ignore[arg-type]
    assert two == one
    return two


def relink(rt: Runtime, seq: int) -> None:
    """Point event ``seq`` at a wrong predecessor and re-hash it: the event is consistent in
    itself, only its link is broken."""
    drop_audit_guards(rt.db)
    with Session(rt.db) as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.seq == seq)).one()
        ev.prev_hash = "f" * 64
        digest = event_hash(ev)
        s.expunge(ev)
        s.execute(
            text("UPDATE auditevent SET prev_hash = :p, hash = :h WHERE seq = :seq"),
            {"p": "f" * 64, "h": digest, "seq": seq},
        )
        s.commit()


def delete(rt: Runtime, seq: int) -> None:
    drop_audit_guards(rt.db)
    with Session(rt.db) as s:
        s.execute(text("DELETE FROM auditevent WHERE seq = :seq"), {"seq": seq})
        s.commit()


def test_the_workers_read_the_ranges_themselves(rt: Runtime) -> None:
    """The two-worker walk really is ranged: its rows carry seq, prev_hash and hash only."""
    add_events(rt, 35)
    with Session(reader(rt.db)) as s:
        walked = list(
            chain_walk.with_hashes(chain_walk.batches(s, start=1, size=BATCH), workers=2)
        )
    assert [len(rows) for rows, _ in walked] == [10, 10, 10, 5]
    rows = [r for batch, _ in walked for r in batch]
    assert [r[chain_walk.SEQ] for r in rows] == list(range(1, 36))
    assert all(r[1] is None for r in rows)  # not read here
    assert [h for _, hashes in walked for h in hashes] == [r[chain_walk.HASH] for r in rows]
    report = both(rt)
    assert (report.ok, report.checked, report.walked) == (True, 35, 35)


@pytest.mark.parametrize("seq", [15, 10, 11, 35])
def test_a_tampered_event_is_named_in_any_range_and_at_either_edge(
    rt: Runtime, seq: int
) -> None:
    add_events(rt, 35)
    tamper(rt, seq)
    report = both(rt)
    assert (report.ok, report.first_broken_seq, report.checked) == (False, seq, seq - 1)
    assert "altered" in report.problem


@pytest.mark.parametrize("seq", [21, 25])
def test_a_broken_link_is_named_across_a_boundary_and_inside_a_range(
    rt: Runtime, seq: int
) -> None:
    add_events(rt, 35)
    relink(rt, seq)
    report = both(rt)
    assert (report.ok, report.first_broken_seq) == (False, seq)
    assert report.problem == "link to previous event broken"


@pytest.mark.parametrize("seq", [20, 21])
def test_a_deleted_event_at_a_boundary_is_named(rt: Runtime, seq: int) -> None:
    add_events(rt, 35)
    delete(rt, seq)
    report = both(rt)
    assert (report.ok, report.first_broken_seq) == (False, seq)
    assert "missing" in report.problem


def test_the_first_of_two_bad_events_is_named(rt: Runtime) -> None:
    add_events(rt, 35)
    tamper(rt, 28)
    relink(rt, 14)
    report = both(rt)
    assert (report.first_broken_seq, report.problem) == (14, "link to previous event broken")


def test_the_quick_walk_ranges_only_what_came_after_the_seal(rt: Runtime) -> None:
    sealed(rt, events=12)
    add_events(rt, 25)
    trust = seal.trust_from(rt.settings)
    quick = both(rt, trust=trust, full=False)
    assert (quick.ok, quick.full, quick.walked, quick.checked, quick.unsealed) == (
        True, False, 25, 37, 25,
    )  # fmt: skip
    tamper(rt, 31)
    quick = both(rt, trust=trust, full=False)
    assert (quick.ok, quick.full, quick.first_broken_seq) == (False, False, 31)


def test_tampering_the_seals_last_event_falls_back_to_the_full_ranged_walk(
    rt: Runtime,
) -> None:
    sealed(rt, events=30)
    add_events(rt, 5)
    trust = seal.trust_from(rt.settings)
    tamper(rt, 17)
    tamper(rt, 30)
    quick = both(rt, trust=trust, full=False)
    assert (quick.ok, quick.full, quick.first_broken_seq) == (False, True, 17)
