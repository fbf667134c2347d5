"""Steps in words: deadlines, escalation chains and events, as pages and the API show them.

Pure: reads the procedure declarations (``states/``), no database. Department names
come from the caller when it has them (pages); the catalogue names departments by key.
"""

from __future__ import annotations

from typing import Any

from gendan.admin.roles import ROLES
from gendan.decisions import OPINION, OPINION_LABEL, machine_events, state_decisions, task_decisions
from gendan.timespec import Deadline
from states import PROCEDURES
from states.base import OUTSIDE_PARTIES, Procedure, TaskSpec

#: "head:<department>" in words: PROCEDURES.md "Roles" names the head of some departments.
DEPARTMENT_HEADS: dict[str, tuple[str, str]] = {
    "merchandising": ("跟单主管", "the merchandising lead"),
    "sales": ("销售部长", "the sales head"),
    "production": ("生产部经理", "the production manager"),
    "engineering": ("技术部领导", "the engineering head"),
    "quality": ("质管部领导", "the quality head"),
    "material_control": ("物控部领导", "the material control head"),
    "purchasing": ("采购主管", "the purchasing lead"),
    "gm_office": ("总经理", "the general manager"),
}


def chain_level(level: str, department: tuple[str, str] | None = None) -> dict[str, str]:
    """One escalation level in both languages; ``department`` (zh, en) names the task's own."""
    kind, _, arg = level.partition(":")
    if kind == "head" and not arg:
        zh, en = "本部门领导", "head of the task's department"
        if department:
            zh, en = f"{zh}（{department[0]}）", f"{en} ({department[1]})"
    elif kind == "head":
        zh, en = DEPARTMENT_HEADS.get(arg, (f"{arg} 部门领导", f"head of {arg}"))
    elif kind == "role":
        role_zh, role_en = ROLES.get(arg, (arg, arg))
        zh, en = f"全体{role_zh}", f"every {role_en.lower()}"
    else:
        zh, en = "总经办", "the GM office"
    return {"key": level, "zh": zh, "en": en}


def chain_words(
    chain: tuple[str, ...] | list[str], department: tuple[str, str] | None = None
) -> list[dict[str, Any]]:
    """The chain, level 1 first: [{"level": 1, "key": "head", "zh": ..., "en": ...}, ...]."""
    return [{"level": n, **chain_level(lv, department)} for n, lv in enumerate(chain, 1)]


def chain_label(words: list[dict[str, Any]], lang: str) -> str:
    """E.g. "L1 本部门领导（销售部） → L2 总经办"."""
    return " → ".join(f"L{w['level']} {w['zh' if lang == 'zh' else 'en']}" for w in words)


def task_spec(
    proc: type[Procedure], state: str, role: str, department: str, title_zh: str | None = None
) -> TaskSpec | None:
    """The declaration a task was opened from (its seed reference, its deadline); with
    ``title_zh`` also a task whose holders a form named at run time (``participants``)."""
    wait = proc.wait_for(state)
    specs = wait.tasks if wait else ()
    for spec in specs:
        if (spec.role, spec.department) == (role, department) and title_zh in (
            None,
            spec.title_zh,
        ):
            return spec
    return next((s for s in specs if title_zh is not None and s.title_zh == title_zh), None)


def _deadline(dl: Deadline | None) -> dict[str, object] | None:
    return dl.describe() if dl else None


def _event(proc: type[Procedure], event: str, person: bool) -> dict[str, Any]:
    step = proc.steps.get(event)
    if event == OPINION and person:
        zh, en = OPINION_LABEL
    else:
        zh, en = (step.label_zh, step.label_en) if step else (event, event)
    return {"event": event, "label_zh": zh, "label_en": en, "person": person}


def describe_task(proc: type[Procedure], state: str, spec: TaskSpec) -> dict[str, Any]:
    # the very list ``complete_task`` accepts from this task
    decisions = task_decisions(proc, state, spec.decisions)
    party = OUTSIDE_PARTIES.get(spec.pauses_for or "")
    return {
        "role": spec.role,
        "department": spec.department,
        "title_zh": spec.title_zh,
        "title_en": spec.title_en,
        "when": spec.when,
        # kept for older readers: the bare length ("4 hours"), as Task.sla stores it
        "sla": str(spec.deadline.sla) if spec.deadline and spec.deadline.sla else "",
        "deadline": _deadline(spec.deadline),
        "chain": chain_words(spec.chain),
        "pauses_for": spec.pauses_for,
        "pauses_for_zh": party[0] if party else None,
        "pauses_for_en": party[1] if party else None,
        "decisions": decisions,
        "seed": spec.seed,
        "opens": (
            {"field": spec.opens.field, "days_before": spec.opens.days_before}
            if spec.opens
            else None
        ),
        "participants": spec.participants,
        "due": spec.due,
    }


def describe_state(proc: type[Procedure], state: Any) -> dict[str, Any]:
    """A state: its tasks, and the decisions a person sends there — exactly what some task of
    the state accepts (a countersign state: only "opinion"); events no person sends (the ones
    a countersign's join rule fires) are listed under ``join_events`` and refused by the API."""
    wait = proc.wait_for(state.id)
    countersign = wait.countersign if wait else None
    person = [_event(proc, e, person=True) for e in state_decisions(proc, state.id)]
    joined = [_event(proc, e, person=False) for e in machine_events(proc, state.id)]
    return {
        "id": state.id,
        "name": state.name,
        "final": state.final,
        "countersign": {"form": countersign.form} if countersign else None,
        "urgent": bool(wait and wait.urgent),
        "window": (
            {
                "deadline": wait.window.deadline.describe(),
                "on_silence": wait.window.on_silence,
                "objection": wait.window.objection,
            }
            if wait and wait.window
            else None
        ),
        "events": person,
        "join_events": joined,
        "tasks": [describe_task(proc, state.id, t) for t in (wait.tasks if wait else ())],
    }


def _stock_trigger(proc: type[Procedure]) -> dict[str, str] | None:
    """The stock condition the system starts the procedure on (``StockTrigger``), in words."""
    from states.base import STOCK_CONDITIONS

    if proc.stock_trigger is None:
        return None
    zh, en = STOCK_CONDITIONS[proc.stock_trigger.condition]
    return {"condition": proc.stock_trigger.condition, "zh": zh, "en": en}


def procedure_catalogue() -> list[dict[str, Any]]:
    """Every procedure: states, tasks, deadlines, chains and events (GET /api/procedures)."""
    return [
        {
            "key": p.key,
            "title_zh": p.title_zh,
            "title_en": p.title_en,
            "start_form": p.start_form,
            "start_roles": list(p.start_roles),
            "states": [describe_state(p, st) for st in p.states],
            "stock_trigger": _stock_trigger(p),
        }
        for p in PROCEDURES.values()
    ]
