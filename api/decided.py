"""What is being decided: the earlier forms a task judges, shown above its decision.

A waiting state declares what its people judge (``states.base.Wait.shows``): an event's
form (a countersign event: the round's opinions as one table), the start form, or the
order's current document of a kind. Without a declaration the move that entered the state
is shown (the start form in the initial state). Every piece is rendered with the form
machinery (``forms.render_view`` / ``forms.render_table``), so one mechanism serves every
procedure; the order's fields a move changed are shown old → new from its audit event.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlmodel import Session, col, select

import forms
from api.facts import local_time
from gendan.models import AuditEvent, Department, Document, Instance, Task, User
from states import get_procedure
from states.base import Procedure

#: Order fields a move may change, with their words (the 订单登记 labels, and the two the
#: intake form does not have).
_ORDER_WORDS = {"credit_terms": ("信用账期", "Credit terms"), "status": ("订单状态", "Status")}


def _order_word(field: str, lang: str) -> str:
    labels = forms.field_labels("order_intake", lang)
    if field in labels:
        return labels[field]
    zh, en = _ORDER_WORDS.get(field, (field, field))
    return zh if lang == "zh" else en


def _pick(zh: str, en: str, lang: str) -> str:
    return zh if lang == "zh" else en


def shown_entries(proc: type[Procedure], state: str, transitions: list[AuditEvent]) -> list[str]:
    """What the state's people judge: its declaration, or the move that entered it."""
    wait = proc.wait_for(state)
    if wait is not None and wait.shows:
        return list(wait.shows)
    entered = [e for e in transitions if e.to_state == state and e.detail.get("event")]
    if entered:
        return [entered[-1].detail["event"]]
    initial = next(s.id for s in proc.states if s.initial)
    return ["start"] if state == initial else []


def _is_countersign(proc: type[Procedure], event: str) -> bool:
    """The event is a countersign join (its source state collects opinions)."""
    for state in proc.states:
        wait = state.wait if hasattr(state, "wait") else None
        if wait is None or wait.countersign is None:
            continue
        if any(event in str(t.event).split() for t in state.transitions):
            return True
    return False


class _Reader:
    """Reads one instance's done tasks, moves, people and departments once."""

    def __init__(self, db: Session, inst: Instance, tz: ZoneInfo, lang: str) -> None:
        self.db, self.inst, self.tz, self.lang = db, inst, tz, lang
        self.proc = get_procedure(inst.procedure)
        self.transitions = list(
            db.exec(
                select(AuditEvent)
                .where(AuditEvent.instance_id == inst.id, AuditEvent.action == "transition")
                .order_by(col(AuditEvent.seq))
            ).all()
        )
        self.tasks = {
            t.id: t
            for t in db.exec(
                select(Task).where(Task.instance_id == inst.id, Task.status == "done")
            ).all()
        }
        self._names: dict[int, str] = {}
        self._deps: dict[int, Department | None] = {}

    def name(self, user_id: int | None) -> str:
        if user_id is None:
            return "—"
        if user_id not in self._names:
            user = self.db.get(User, user_id)
            self._names[user_id] = user.display_name if user else f"#{user_id}"
        return self._names[user_id]

    def department(self, dep_id: int) -> str:
        if dep_id not in self._deps:
            self._deps[dep_id] = self.db.get(Department, dep_id)
        dep = self._deps[dep_id]
        return _pick(dep.name_zh, dep.name_en, self.lang) if dep else "—"

    def when(self, value: Any) -> str:
        return local_time(value, self.tz)

    def facts(self) -> dict[str, Any]:
        return dict(self.inst.data.get("order", {}))

    # -- pieces ------------------------------------------------------------------------

    def piece(self, entry: str) -> dict[str, Any] | None:
        if entry == "start":
            return self.start_piece()
        if entry.startswith("doc:"):
            return self.document_piece(entry.removeprefix("doc:"))
        moves = [e for e in self.transitions if e.detail.get("event") == entry]
        if not moves:
            return None  # this path did not pass there
        move = moves[-1]
        if _is_countersign(self.proc, entry):
            return self.round_piece(entry, move)
        return self.move_piece(entry, move)

    def start_piece(self) -> dict[str, Any]:
        form = forms.get_form(self.proc.start_form)
        values = self.inst.data.get(self.proc.start_key, {})
        return {
            "key": "start",
            "title": _pick(form.title_zh, form.title_en, self.lang),
            "who": self.name(self.inst.created_by_id),
            "at": self.when(self.inst.created_at),
            "html": forms.render_view(form.key, values, self.lang, self.facts(), self.tz),
            "reason": "",
            "changes": [],
            "doc_no": None,
        }

    def document_piece(self, kind: str) -> dict[str, Any] | None:
        inst = self.inst  # an instance without an order reads its own papers only
        mine = (
            Document.order_no == inst.order_no
            if inst.order_no
            else Document.instance_id == inst.id
        )
        docs = self.db.exec(
            select(Document)
            .where(mine, Document.kind == kind)
            .order_by(col(Document.revision).desc())
        ).all()
        doc = next((d for d in docs if d.status == "issued"), docs[0] if docs else None)
        if doc is None:
            return None
        form = forms.get_form(kind)
        rev = _pick(f"第 {doc.revision} 版", f"revision {doc.revision}", self.lang)
        return {
            "key": f"doc:{kind}",
            "title": f"{_pick(form.title_zh, form.title_en, self.lang)} {doc.doc_no} ({rev})",
            "who": self.name(doc.issued_by_id),
            "at": self.when(doc.issued_at),
            "html": forms.render_view(kind, doc.data, self.lang, self.facts(), self.tz),
            "reason": "",
            "changes": [],
            "doc_no": doc.doc_no,
        }

    def move_piece(self, event: str, move: AuditEvent) -> dict[str, Any]:
        step = self.proc.steps[event]
        task = self.tasks.get(move.task_id) if move.task_id else None
        values = task.form_data if task else move.changes.get("form", {})
        html = Markup("")
        if step.form:
            html = forms.render_view(
                step.form, values or {}, self.lang, self._facts_before(move), self.tz
            )
        signature = move.detail.get("signature") or {}
        return {
            "key": event,
            "title": _pick(step.label_zh, step.label_en, self.lang),
            "who": self.name(move.actor_id) if move.actor_id else move.actor_name,
            "at": self.when(move.at),
            "html": html,
            "reason": move.reason,
            "signed": bool(signature),
            "changes": self._order_changes(move),
            "doc_no": move.detail.get("document"),
        }

    def round_piece(self, event: str, move: AuditEvent) -> dict[str, Any]:
        """A countersign round as one table: department, reviewer, the opinion, signed at."""
        step = self.proc.steps[event]
        closing = self.tasks.get(move.task_id) if move.task_id else None
        wait = self.proc.wait_for(closing.state) if closing else None
        rows = []
        if closing is not None and wait is not None and wait.countersign is not None:
            members = sorted(
                (
                    t
                    for t in self.tasks.values()
                    if t.state == closing.state and t.round == closing.round
                ),
                key=lambda t: (t.closed_at, t.id),
            )
            rows = [
                (
                    [self.department(t.department_id), self.name(t.closed_by_id)],
                    t.form_data,
                    [self.when(t.closed_at)],
                )
                for t in members
            ]
        html = Markup("")
        if rows and wait is not None and wait.countersign is not None:
            html = forms.render_table(
                wait.countersign.form,
                rows,
                [("部门", "Department"), ("评审人", "Reviewer")],
                [("签署时间", "Signed at")],
                self.lang,
                self.tz,
            )
        return {
            "key": event,
            "title": _pick(step.label_zh, step.label_en, self.lang),
            "who": "",
            "at": self.when(move.at),
            "html": html,
            "reason": move.reason,
            "changes": self._order_changes(move),
            "doc_no": move.detail.get("document"),
        }

    def _facts_before(self, move: AuditEvent) -> dict[str, Any]:
        """The order's facts as the move found them (a change's old date is the old one)."""
        facts = self.facts()
        for key, change in move.changes.items():
            if key.startswith("order.") and isinstance(change, dict):
                facts[key.removeprefix("order.")] = change.get("old")
        return facts

    def _order_changes(self, move: AuditEvent) -> list[dict[str, str]]:
        out = []
        for key, change in move.changes.items():
            if key.startswith("order.") and isinstance(change, dict):
                field = key.removeprefix("order.")
                out.append(
                    {
                        "field": field,
                        "label": _order_word(field, self.lang),
                        "old": _text(change.get("old"), self.lang),
                        "new": _text(change.get("new"), self.lang),
                    }
                )
        return out


def _text(value: Any, lang: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _pick("是", "yes", lang) if value else _pick("否", "no", lang)
    return str(value)


def decided_view(
    db: Session, inst: Instance, state: str, tz: ZoneInfo, lang: str
) -> list[dict[str, Any]]:
    """The pieces a person deciding in ``state`` reads first, oldest first."""
    reader = _Reader(db, inst, tz, lang)
    pieces = []
    for entry in shown_entries(reader.proc, state, reader.transitions):
        piece = reader.piece(entry)
        if piece is not None:
            pieces.append(piece)
    return pieces


def decision_groups(
    proc: type[Procedure], decisions: list[dict[str, Any]], lang: str
) -> list[dict[str, Any]]:
    """A task's decisions as forms to show: decisions that share one form become one form
    with a choice of decision (a change's four categories: one 更改通知单 and the category),
    instead of the same form once per decision. The fields a decision fixes (the category)
    are chosen with the decision, not typed."""
    groups: list[dict[str, Any]] = []
    by_form: dict[str, dict[str, Any]] = {}
    for d in decisions:
        step = proc.steps.get(d["event"])
        fixed = set(step.fixed) if step else set()
        group = by_form.get(d["form"]) if d["form"] else None
        if group is None:
            group = {
                "key": d["event"],
                "form": d["form"],
                "title": d["label"],
                "choices": [],
                "omit": fixed,
                "prefill": d["prefill"],
            }
            groups.append(group)
            if d["form"]:
                by_form[d["form"]] = group
        else:
            group["omit"] &= fixed
        group["choices"].append(d)
    for g in groups:
        choices = g["choices"]
        g["events"] = [c["event"] for c in choices]
        g["reason"] = any(c["reason"] for c in choices)
        g["reason_all"] = all(c["reason"] for c in choices)
        g["signature"] = next((c["signature"] for c in choices if c["signature"]), None)
        g["signature_all"] = all(c["signature"] for c in choices)
        if len(choices) > 1:
            form = forms.get_form(g["form"])
            g["title"] = _pick(form.title_zh, form.title_en, lang)
            words = [forms.field_labels(g["form"], lang)[f] for f in sorted(g["omit"])]
            g["legend"] = " · ".join(words) or _pick("决定", "Decision", lang)
            g["prefill"] = {k: v for k, v in g["prefill"].items() if k not in g["omit"]}
    return groups


def form_error_links(
    errors: dict[str, str],
    form_key: str | None,
    lang: str,
    *,
    omit: Any = (),
    anchors: dict[str, tuple[str, str]] | None = None,
    fallback: str = "#main",
) -> list[dict[str, str]]:
    """An error summary: one link per problem to its field (``#f-<form>-<field>``, the id
    the form machinery gives it; ``anchors``: other inputs → (href, word))."""
    labels = forms.field_labels(form_key, lang) if form_key else {}
    shown = set(labels) - set(omit)
    links = []
    for name, message in errors.items():
        if name in shown:
            href, word = f"#f-{form_key}-{name}", labels[name]
        elif "." in name and name.split(".")[0] in shown:
            # a repeating row's cell (rows.2.finish): the message names the row and the cell
            href, word = f"#f-{form_key}-{name.replace('.', '-')}", ""
        elif anchors and name in anchors:
            href, word = anchors[name]
        else:
            href, word = fallback, labels.get(name, "")
        links.append({"href": href, "text": f"{word}: {message}" if word else message})
    return links


def error_links(
    errors: dict[str, str], group: dict[str, Any] | None, lang: str
) -> list[dict[str, str]]:
    """The error summary at the top of a decision's form: one link per problem to its field."""
    if group is None:
        return [{"href": "#decisions", "text": msg} for msg in errors.values()]
    key = group["key"]
    anchors = {
        "reason": (f"#reason-{key}", _pick("理由", "Reason", lang)),
        "password": (
            f"#pw-{key}",
            _pick("电子签名（密码）", "Electronic signature (password)", lang),
        ),
        "decision": (f"#choice-{key}", _pick("决定", "Decision", lang)),
    }
    return form_error_links(
        errors, group["form"], lang, omit=group["omit"], anchors=anchors, fallback=f"#form-{key}"
    )


def amount(inst: Instance) -> str | None:
    """The instance's amount (a quote's total with the order's quantity), from whichever
    stored form implies a ``total`` — what a bulk approver signs for."""
    proc = get_procedure(inst.procedure)
    facts = inst.data.get("order", {})
    for event, values in inst.data.get("forms", {}).items():
        step = proc.steps.get(event)
        if step is None or not step.form or not isinstance(values, dict):
            continue
        model = forms.stored_model(forms.get_form(step.form), values)
        for name, _zh, _en, text in model.computed(facts) if model else []:
            if name == "total":
                return text.rpartition("= ")[2]
    return None
