"""Existing instances for the growth runs: 10k, 100k, 1M orders already in gendan's schema.

Each prefilled instance is an order review past its first move, as the confirm leaves it:
the instance row (its order facts as data), the done "requirements" task and 3
feasibility-review tasks, 8 timers and 2 audit events (start and confirm). One in ten is
still open (3 open tasks, 6 pending timers); the others are done (tasks done, timers
cancelled). Created times spread over the two years before the bench's Monday.

Rows go in with explicit ids, one commit per ``PREFILL_BATCH`` instances: multi-row INSERTs
(``PREFILL_ROWS`` per statement) on SQLite; ``COPY`` on PostgreSQL (Choice: COPY, because
multi-row INSERTs with bound parameters filled only about 750 instances/s there, 20 minutes
for a million); PostgreSQL's sequences are then moved past them and the tables ANALYZEd.
The audit events carry stand-in hashes (the head continues from the last one): the chain is
not verifiable, which the write path does not need (``bench/audit_verify.py`` builds real
chains). The ``order`` table is not prefilled (gendan reads an order by its unique number).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from typing import Any

from transitions import MONDAY_10, RawDB, _ts

from gendan.demo import order_form, step_forms

PREFILL_ROWS = 400
PREFILL_BATCH = 5000
PREFIX = "SO-OLD-"

COLUMNS = {
    "instance": "id, procedure, order_no, subject_kind, subject_key, state, data, version,"
    " created_by_id, created_at, updated_at",
    "task": "id, instance_id, state, round, role, department_id, title_zh, title_en, status,"
    " sla, deadline_zh, deadline_en, deadline_kind, created_at, clock_start, due_at,"
    " period_minutes, chain, decisions, escalation_level, waited_minutes, form_data,"
    " closed_at, closed_by_id, decision",
    "timer": "id, task_id, level, due_at, status",
    "auditevent": "id, seq, at, actor_id, actor_name, action, instance_id, task_id, order_no,"
    " from_state, to_state, changes, reason, detail, prev_hash, hash",
}


def _max(db: RawDB, table: str, column: str = "id") -> int:
    return db.x(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]


def prefilled(db: RawDB) -> int:
    """How many instances an earlier prefill left in this database."""
    sql = "SELECT count(*) FROM instance WHERE order_no LIKE ?"
    return db.x(sql, (PREFIX + "%",)).fetchone()[0]


def _insert(db: RawDB, table: str, rows: list[tuple[Any, ...]]) -> None:
    cols = COLUMNS[table]
    if db.dialect == "postgresql":
        with db.cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    width = cols.count(",") + 1
    for i in range(0, len(rows), PREFILL_ROWS):
        chunk = rows[i : i + PREFILL_ROWS]
        values = ", ".join(["(" + ", ".join(["?"] * width) + ")"] * len(chunk))
        db.x(f"INSERT INTO {table} ({cols}) VALUES {values}", [v for r in chunk for v in r])


def prefill(db: RawDB, ids: dict[str, int], upto: int) -> float:
    """Add prefilled instances until there are ``upto``; return the seconds it took."""
    t0 = time.perf_counter()
    have = prefilled(db)
    order = order_form("SO-OLD", "regular", now=MONDAY_10)
    confirm = step_forms(order, MONDAY_10)["confirm"]
    data = json.dumps({"order": {**order, "status": "reviewing"}, "forms": {"confirm": confirm}},
                      ensure_ascii=False, default=str)  # fmt: skip
    form = json.dumps(confirm, default=str)
    chain, board = '["head", "gm_office"]', (
        ("sales_clerk", ids["sales"]), ("production_manager", ids["production"]),
        ("material_controller", ids["material_control"]))  # fmt: skip
    clerk = ids["clerk"]
    while have < upto:
        count = min(PREFILL_BATCH, upto - have)
        iid, tid, mid, aid = (_max(db, t) for t in ("instance", "task", "timer", "auditevent"))
        seq, prev = db.x("SELECT seq, hash FROM audithead WHERE id = 1").fetchone()
        inst, tasks, timers, events = [], [], [], []
        for k in range(have, have + count):
            iid += 1
            open_ = k % 10 == 0
            at = MONDAY_10 - timedelta(minutes=(upto - k) % (2 * 365 * 24 * 60))
            now, due, key = _ts(at), _ts(at + timedelta(days=1)), f"{PREFIX}{k:07d}"
            inst.append((iid, "order_review", key, "order", key,
                         "feasibility_review" if open_ else "closed", data, 2, clerk, now, now))
            tid += 1
            tasks.append((tid, iid, "requirements", 1, "sales_clerk", ids["sales"],
                          "与客户确认订单要求", "Confirm", "done", "1 working day", "1 个工作日",
                          "1 working day", "default", now, now, due, 540, chain, "[]", 0, 0,
                          form, now, clerk, "confirm"))  # fmt: skip
            mid += 2
            timers += [(mid - 1, tid, 1, due, "cancelled"), (mid, tid, 0, due, "cancelled")]
            for role, dep in board:
                tid += 1
                status = "open" if open_ else "done"
                tasks.append((tid, iid, "feasibility_review", 2, role, dep,
                              "订单评审（交期可行性）", "Review feasibility", status,
                              "1 working day", "1 个工作日", "1 working day", "default",
                              now, now, due, 540, chain, "[]", 0, 0, "{}",
                              None if open_ else now, None if open_ else clerk,
                              None if open_ else "feasible"))  # fmt: skip
                mid += 2
                t_status = "pending" if open_ else "cancelled"
                timers += [(mid - 1, tid, 1, due, t_status), (mid, tid, 0, due, t_status)]
            for action, frm, to, task_id in (("start", None, "requirements", None),
                                             ("transition", "requirements",
                                              "feasibility_review", tid - 3)):  # fmt: skip
                aid, seq = aid + 1, seq + 1
                digest = hashlib.sha256(f"{seq}".encode()).hexdigest()
                events.append((aid, seq, now, clerk, "王丽 (销售内勤)", action, iid, task_id, key,
                               frm, to, "{}", "", "{}", prev, digest))  # fmt: skip
                prev = digest
        db.begin()
        _insert(db, "instance", inst)
        _insert(db, "task", tasks)
        _insert(db, "timer", timers)
        _insert(db, "auditevent", events)
        db.x("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (seq, prev))
        db.commit()
        have += count
    if db.dialect == "postgresql":
        for table in ("instance", "task", "timer", "auditevent"):
            db.x(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    if db.dialect == "postgresql":
        db.x("ANALYZE")
    return time.perf_counter() - t0
