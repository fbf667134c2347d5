"""Each decision a task accepts, with the JSON Schema of its completion body.

``GET /api/tasks/{id}/form`` answers from here, so an integrator learns the fields, their
types, which are required, their labels (``zh``/``en``), the choices of a choice field
(``enum`` and ``choices``: value → [zh, en]), whether a reason or the password (electronic
signature) is needed — before sending, not from a 422. Built from the same declarations the
transition service checks: the decisions (:mod:`gendan.decisions`), the step (``Step``:
form, reason, signature, fixed and locked fields) and the form's pydantic model.

Choice: the schema is the whole body of ``POST /api/tasks/{id}/complete`` (decision, form,
reason, password), not the form alone, because reason and password are part of what the
engine refuses; rules across fields (a regular order priced from the price list, four-eyes)
stay the engine's and answer 422/403 as before.
"""

from __future__ import annotations

import copy
from typing import Any

import forms
from gendan.decisions import OPINION, OPINION_LABEL, task_decisions
from gendan.limits import MAX_TEXT
from gendan.prefill import prefill
from states.base import Procedure, Step

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: The longest password the API reads (``CompleteRequest.password``).
MAX_PASSWORD = 1024


def form_schema(
    form_key: str, *, fixed: dict[str, Any] | None = None, locked: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The form model's JSON Schema (validation mode). ``fixed`` fields are left out: the
    step sets them. ``locked`` fields (field → the value it must carry) become ``const``."""
    schema = copy.deepcopy(forms.get_form(form_key).model_json_schema(mode="validation"))
    props: dict[str, Any] = schema.setdefault("properties", {})
    required: list[str] = list(schema.get("required", []))
    for name in fixed or {}:
        props.pop(name, None)
        if name in required:
            required.remove(name)
    for name, value in (locked or {}).items():
        if name in props:
            keep = {k: v for k, v in props[name].items() if k in ("title", "zh", "en")}
            props[name] = {**keep, "const": value, "default": value, "readOnly": True}
    schema["required"] = required
    return schema


def completion_schema(
    proc: type[Procedure], state: str, decision: str, locked: dict[str, Any] | None = None
) -> dict[str, Any]:
    """JSON Schema of the body of ``POST /api/tasks/{id}/complete`` for ``decision``."""
    step = _step(proc, decision)
    form_key = _form_key(proc, state, decision, step)
    props: dict[str, Any] = {"decision": {"const": decision}}
    required = ["decision"]
    schema: dict[str, Any] = {"$schema": SCHEMA_DIALECT, "title": f"{proc.key}.{decision}"}
    if form_key:
        fs = form_schema(form_key, fixed=dict(step.fixed) if step else None, locked=locked)
        defs = fs.pop("$defs", None)
        if defs:
            schema["$defs"] = defs
        props["form"] = fs
        if fs["required"]:
            required.append("form")
    reason = {"type": "string", "maxLength": MAX_TEXT, "zh": "理由", "en": "Reason"}
    if step is not None and step.reason_required:
        props["reason"] = {**reason, "minLength": 1, "pattern": r"\S"}
        required.append("reason")
    else:
        props["reason"] = reason
    if step is not None and step.signature:
        props["password"] = {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_PASSWORD,
            "writeOnly": True,
            "zh": "密码（电子签名）",
            "en": "Password (electronic signature)",
        }
        required.append("password")
    else:
        props["password"] = {"type": ["string", "null"], "maxLength": MAX_PASSWORD}
    schema |= {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
    return schema


def describe_decision(
    proc: type[Procedure],
    state: str,
    decision: str,
    locked: dict[str, Any] | None = None,
    known: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One decision in words (labels, what it demands) with its completion schema;
    ``known`` is the instance data its form is prefilled from (``gendan.prefill``)."""
    step = _step(proc, decision)
    form_key = _form_key(proc, state, decision, step)
    form = forms.get_form(form_key) if form_key else None
    fixed = dict(step.fixed) if step else {}
    start = prefill(proc.key, known, form_key) if known is not None and form_key else {}
    start = {k: v for k, v in {**start, **(locked or {})}.items() if k not in fixed}
    zh, en = (step.label_zh, step.label_en) if step else OPINION_LABEL
    return {
        "decision": decision,
        "label_zh": zh,
        "label_en": en,
        "form": form_key,
        "form_title_zh": form.title_zh if form else None,
        "form_title_en": form.title_en if form else None,
        "reason_required": bool(step and step.reason_required),
        "signature": step.signature if step else None,
        "password_required": bool(step and step.signature),
        "four_eyes": list(step.four_eyes) if step else [],
        "bulk": bool(step and step.bulk),
        "fixed": fixed,
        "locked": dict(locked or {}),
        "prefill": start,
        "schema": completion_schema(proc, state, decision, locked),
    }


def task_forms(
    proc: type[Procedure],
    state: str,
    limit: list[str],
    facts: dict[str, dict[str, Any]],
    data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every decision an open task in ``state`` accepts; ``facts`` are what locked fields must
    equal (``gendan.transitions.locked_facts``: the order, and what was agreed); ``data``
    (the instance's) gives each form's prefill."""
    out = []
    for decision in task_decisions(proc, state, limit):
        step = _step(proc, decision)
        locked = _locked_values(step, facts) if step else {}
        out.append(describe_decision(proc, state, decision, locked, data))
    return out


def _step(proc: type[Procedure], decision: str) -> Step | None:
    return None if decision == OPINION else proc.steps[decision]


def _form_key(proc: type[Procedure], state: str, decision: str, step: Step | None) -> str | None:
    if decision == OPINION:
        wait = proc.wait_for(state)
        return wait.countersign.form if wait and wait.countersign else None
    return step.form if step else None


def _locked_values(step: Step, facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Locked form field → the value the engine compares it with (``_check_locked``)."""
    out: dict[str, Any] = {}
    for form_field, path in step.locked.items():
        scope, _, key = path.partition(".")
        out[form_field] = facts.get(scope, {}).get(key)
    return out
