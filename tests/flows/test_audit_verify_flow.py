"""The hourly audit-verify flow as a real Prefect flow run: verifies, then seals what is new."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from flows.audit_verify import audit_seal, audit_verify
from flows.common import runtime
from flows.delivery import deliver_pending
from gendan import seal
from gendan.audit import verify_seal_and_record
from gendan.demo import load_demo
from gendan.models import AuditHead, AuditSeal, ChainCheck
from tests.conftest import make_runtime
from tests.engine.test_audit_seal import add_events
from tests.support.servers import SmtpSink

LOADED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_audit_verify_flow_seals_the_chain_and_records_the_check(
    prefect_harness: None, gendan_env: str
) -> None:
    rt = runtime()
    load_demo(rt, now=LOADED)
    unsealed = audit_verify(at="2026-11-23T11:00:00", return_state=True)  # no key yet
    assert unsealed.is_completed() and unsealed.result() is True

    seal.init_key(seal.key_path(rt.settings))
    state = audit_verify(at="2026-11-23T12:00:00", return_state=True)

    assert state.is_completed() and state.result() is True
    with Session(rt.db) as s:
        head = s.get(AuditHead, 1)
        [row] = s.exec(select(AuditSeal)).all()
        checks = s.exec(select(ChainCheck).order_by(ChainCheck.id)).all()  # type: ignore[arg-type]
    assert head is not None and row.seq == head.seq and row.first_seq == 1
    assert [c.sealed_seq for c in checks] == [None, head.seq]
    assert checks[0].unsealed == head.seq and checks[1].unsealed == 0 and checks[1].anchor_ok
    [line] = seal.anchor_path(rt.settings).read_text().splitlines()
    assert json.loads(line)["seq"] == head.seq and json.loads(line)["hash"] == head.hash


def test_each_seal_is_mailed_to_the_auditors_when_configured(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    rt = make_runtime(
        tmp_path / "g.db", smtp_url=smtp_sink.url, seal_mail_to="iso@auditor.example, qa@x.example"
    )
    seal.init_key(seal.key_path(rt.settings))
    report = verify_seal_and_record(rt.settings, rt.db, now=LOADED)
    assert report.ok and report.sealed_seq is None  # nothing to seal yet
    add_events(rt, 5)
    report = verify_seal_and_record(rt.settings, rt.db, now=LOADED)
    assert report.ok and report.sealed_seq == 5

    for _ in range(2):  # delivered once, however often delivery runs
        deliver_pending(rt, now=LOADED)
    smtp_sink.wait_for(2, timeout=10)
    assert sorted(m.to for m in smtp_sink.messages) == ["iso@auditor.example", "qa@x.example"]
    [line] = seal.anchor_path(rt.settings).read_text().splitlines()
    for mail in smtp_sink.messages:
        assert f"event {report.sealed_seq}" in mail.subject
        assert line in mail.body  # the anchor line, exactly: one more copy outside gendan


def test_audit_seal_flow_seals_new_events_and_refuses_when_the_anchor_disagrees(
    prefect_harness: None, gendan_env: str
) -> None:
    rt = runtime()
    assert audit_seal(return_state=True).result() == 0  # no key: nothing sealed, no failure
    seal.init_key(seal.key_path(rt.settings))
    add_events(rt, 3)
    assert audit_seal(at="2026-11-23T10:05:00", return_state=True).result() == 3
    add_events(rt, 2)
    assert audit_seal(at="2026-11-23T10:10:00", return_state=True).result() == 5
    assert audit_seal(at="2026-11-23T10:15:00", return_state=True).result() == 0  # nothing new

    seal.anchor_path(rt.settings).write_text("")  # the anchor lost its lines
    add_events(rt, 1)
    refused = audit_seal(at="2026-11-23T10:20:00", return_state=True)
    assert refused.is_failed()
    with Session(rt.db) as s:
        assert [r.seq for r in s.exec(select(AuditSeal).order_by(AuditSeal.seq)).all()] == [3, 5]
