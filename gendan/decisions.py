"""What a task accepts: the one list the transition service checks and everybody shows.

``complete_task`` refuses any decision not in :func:`task_decisions`; the catalogue
(``GET /api/procedures``), the task page and ``GET /api/tasks/{id}/form`` list the same,
so nothing is offered that the engine then refuses. Pure: reads the declarations only.
"""

from __future__ import annotations

from collections.abc import Sequence

from states.base import Procedure

#: Countersign states (会签) take this one decision from each person; their join rule fires
#: the state's events (``gendan.transitions``).
OPINION = "opinion"
OPINION_LABEL = ("提交意见", "Submit opinion")


def task_decisions(proc: type[Procedure], state: str, limit: Sequence[str] = ()) -> list[str]:
    """The decisions a task in ``state`` accepts: "opinion" in a countersign state, else the
    events leaving the state, within the task's ``decisions`` limit (empty: no limit)."""
    wait = proc.wait_for(state)
    if wait is not None and wait.countersign is not None:
        return [OPINION]
    return [e for e in proc.events_from(state) if not limit or e in limit]


def state_decisions(proc: type[Procedure], state: str) -> list[str]:
    """Every decision some task of ``state`` accepts (the union over its task declarations)."""
    wait = proc.wait_for(state)
    out: list[str] = []
    for spec in wait.tasks if wait else ():
        for event in task_decisions(proc, state, spec.decisions):
            if event not in out:
                out.append(event)
    return out


def machine_events(proc: type[Procedure], state: str) -> list[str]:
    """Events leaving ``state`` that no person sends: a countersign's join fires them."""
    accepted = state_decisions(proc, state)
    return [e for e in proc.events_from(state) if e not in accepted]
