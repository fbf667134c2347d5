"""``gendan audit verify``'s walk (issue 11): lean rows hash exactly as the ORM events do,
parallel re-hashing finds what the serial walk finds, and ``full=False`` re-hashes only the
events after the last seal while still checking the seal's last event. Real database;
tampering in SQL after dropping the read-only guards, as the other tamper tests do."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, select

from gendan import audit, seal
from gendan.audit import event_hash
from gendan.chain_walk import HASH, batches, lean_hash
from gendan.db import drop_audit_guards
from gendan.demo import Driver, order_form, step_forms
from gendan.models import AuditEvent
from gendan.runtime import Runtime
from tests.engine.test_audit_seal import add_events, sealed


def tamper(rt: Runtime, seq: int) -> None:
    drop_audit_guards(rt.db)
    with Session(rt.db) as s:
        s.execute(text("UPDATE auditevent SET reason = 'edited' WHERE seq = :seq"), {"seq": seq})
        s.commit()


def test_lean_rows_hash_as_the_events_do(rt: Runtime, driver: Driver) -> None:
    """Real procedure events (forms with dates, nested changes, Chinese text)."""
    intake = order_form("SO-W1", "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", intake)
    driver.act(iid, "clerk", "confirm", step_forms(intake, driver.now)["confirm"])
    with Session(rt.db) as s:
        events = {e.seq: e for e in s.exec(select(AuditEvent)).all()}
        rows = [r for batch in batches(s, start=1, size=2) for r in batch]
    assert len(rows) == len(events) >= 3  # start, claim, transition: in batches of 2
    for row in rows:
        assert lean_hash(row) == event_hash(events[row[0]]) == row[HASH]


def test_parallel_rehashing_finds_what_the_serial_walk_finds(rt: Runtime) -> None:
    add_events(rt, 120)
    serial = audit.verify(rt.db, batch=7)
    parallel = audit.verify(rt.db, batch=7, workers=2)
    assert serial.ok and parallel.ok and serial.checked == parallel.checked == 120
    tamper(rt, 87)
    for workers in (1, 2):
        report = audit.verify(rt.db, batch=7, workers=workers)
        assert (report.ok, report.first_broken_seq, report.checked) == (False, 87, 86)
        assert "altered" in report.problem


def test_after_the_last_seal_only_new_events_are_rehashed(rt: Runtime) -> None:
    sealed(rt, events=30)
    add_events(rt, 5)
    trust = seal.trust_from(rt.settings)
    quick = audit.verify(rt.db, trust=trust, full=False)
    assert (quick.ok, quick.full, quick.walked, quick.checked, quick.unsealed) == (
        True, False, 5, 35, 5,
    )  # fmt: skip
    whole = audit.verify(rt.db, trust=trust)
    assert (whole.ok, whole.full, whole.walked, whole.checked) == (True, True, 35, 35)
    tamper(rt, 33)  # after the seal: the quick walk sees it
    quick = audit.verify(rt.db, trust=trust, full=False)
    assert (quick.ok, quick.first_broken_seq) == (False, 33)


def test_the_seals_last_event_is_checked_even_by_the_quick_walk(rt: Runtime) -> None:
    sealed(rt, events=30)
    trust = seal.trust_from(rt.settings)
    tamper(rt, 12)  # inside the seal: only the full walk re-hashes it (the documented Choice)
    assert audit.verify(rt.db, trust=trust, full=False).ok
    full = audit.verify(rt.db, trust=trust)
    assert (full.ok, full.first_broken_seq) == (False, 12)
    tamper(rt, 30)  # the seal's own last event: the quick walk falls back to the full one
    quick = audit.verify(rt.db, trust=trust, full=False)
    assert (quick.ok, quick.full, quick.first_broken_seq) == (False, True, 12)


def test_without_seals_the_quick_walk_is_a_full_walk(rt: Runtime) -> None:
    add_events(rt, 12)
    report = audit.verify(rt.db, trust=seal.trust_from(rt.settings), full=False)
    assert (report.ok, report.full, report.walked) == (True, True, 12)
