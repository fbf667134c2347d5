"""The hourly audit-verify flow as a real Prefect flow run: verifies, then seals what is new."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from flows.audit_verify import audit_verify
from flows.common import runtime
from gendan import seal
from gendan.demo import load_demo
from gendan.models import AuditHead, AuditSeal, ChainCheck

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
