"""Who is who: the acting person, their roles per department, and escalation targets."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from gendan import org_cache
from gendan.errors import NotAllowed, NotFound
from gendan.models import Department, Task, User, UserRole

SYSTEM_ACTOR = "system"
#: The department head's role (tasks offered to the head, e.g. 报价审核): held by whoever the
#: department's ``head_user_id`` names, never by a role row (see ``is_department_head``).
HEAD_ROLE = "dept_head"


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    display_name: str
    #: (role, department id) pairs the person holds.
    roles: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    #: For electronic signatures: checked before the move's transaction takes any lock.
    password_hash: str = field(default="", repr=False)

    def has_role(self, role: str, department_id: int | None = None) -> bool:
        return any(r == role and department_id in (None, d) for r, d in self.roles)

    @property
    def role_names(self) -> set[str]:
        return {r for r, _ in self.roles}


def load_actor(session: Session, user_id: int) -> Actor:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAllowed("unknown or inactive user")
    rows = session.exec(select(UserRole).where(UserRole.user_id == user_id)).all()
    roles = {(r.role, r.department_id) for r in rows if r.role != HEAD_ROLE}
    roles |= {(HEAD_ROLE, d.id) for d in headed_departments(session, user_id) if d.id}
    return Actor(
        user_id=user_id,
        username=user.username,
        display_name=user.display_name,
        roles=frozenset(roles),
        password_hash=user.password_hash,
    )


def department_id(session: Session, key: str) -> int:
    dep = org_cache.department_by_key(session, key)
    if dep is None or dep.id is None:
        raise NotFound(f"department '{key}' is not set up")
    return dep.id


def may_work_on(actor: Actor, task: Task) -> bool:
    """The task is offered to the actor's role in the task's department, or assigned to them."""
    return task.assignee_id == actor.user_id or actor.has_role(task.role, task.department_id)


def candidates(session: Session, task: Task) -> list[User]:
    """Whoever should hear about the task: its assignee, or everyone holding its role there."""
    if task.assignee_id is not None:
        user = session.get(User, task.assignee_id)
        return [user] if user and user.is_active else []
    return role_holders(session, task.role, task.department_id)


def role_holders(session: Session, role: str, department_id: int) -> list[User]:
    """Active people holding ``role`` in the department (delegation and reassignment targets)."""
    if role == HEAD_ROLE:
        return _head_of(session, org_cache.department(session, department_id))
    return org_cache.holders(session, role, department_id)


def escalation_targets(session: Session, task: Task, level: int) -> list[User]:
    """Level 0: the candidates; level n: the task's chain at n (default: head, GM office)."""
    if level == 0:
        return candidates(session, task)
    chain = task.chain or ["head", "gm_office"]
    if level > len(chain):
        return []
    return level_targets(session, task, chain[level - 1])


def holders(session: Session, task: Task) -> set[int]:
    """Who holds the task: its assignee, or everyone it is offered to while unclaimed."""
    return {u.id for u in candidates(session, task) if u.id is not None}


def level_targets(session: Session, task: Task, level: str) -> list[User]:
    """People one escalation level names: "head", "head:<dept>", "role:<role>", "gm_office"."""
    kind, _, arg = level.partition(":")
    if kind == "head":
        dep = (
            org_cache.department_by_key(session, arg)
            if arg
            else org_cache.department(session, task.department_id)
        )
        return _head_of(session, dep)
    if kind == "role" and arg == HEAD_ROLE:
        deps = org_cache.org(session).by_id.values()
        return [u for dep in deps for u in _head_of(session, dep)]
    if kind == "role":
        return org_cache.holders_anywhere(session, arg)
    return gm_office(session)


def _head_of(session: Session, dep: Department | None) -> list[User]:
    head = session.get(User, dep.head_user_id) if dep and dep.head_user_id else None
    return [head] if head and head.is_active else []


def gm_office(session: Session) -> list[User]:
    """总经办: its head and everyone holding the general manager's role."""
    gm_dep = org_cache.department_by_key(session, "gm_office")
    users: dict[int, User] = {}
    if gm_dep and gm_dep.head_user_id:
        head = session.get(User, gm_dep.head_user_id)
        if head and head.is_active and head.id is not None:
            users[head.id] = head
    for u in org_cache.holders_anywhere(session, "general_manager"):
        if u.id is not None:
            users[u.id] = u
    return list(users.values())


def is_department_head(session: Session, user_id: int, department_id: int) -> bool:
    """The head's powers (reassign, see the department's work) follow ``Department.head_user_id``.

    Choice: the department row is the one source of truth because it is also what
    escalations resolve ("head"): a role row named "dept_head" could disagree with it after
    the administrator names a new head, and the old head would keep the powers.
    """
    dep = org_cache.department(session, department_id)
    return bool(dep and dep.head_user_id is not None and dep.head_user_id == user_id)


def headed_departments(session: Session, user_id: int) -> list[Department]:
    """The departments whose head field names this person."""
    stmt = select(Department).where(Department.head_user_id == user_id).order_by(Department.id)
    return list(session.exec(stmt).all())


def in_gm_office(session: Session, user_id: int) -> bool:
    """总经办: the GM office's head or a holder of the general manager's role."""
    return any(u.id == user_id for u in gm_office(session))


def escalated_to(session: Session, user_id: int, task: Task) -> int:
    """The lowest escalation level (1..) of the open task that names this person, or 0.

    A current escalation target may act on the task (claim it, decide it, reassign it when
    they head its department), so levels up to ``task.escalation_level`` count: once the GM
    office is told, the head told before may still act.
    """
    if task.status != "open" or task.escalation_level < 1:
        return 0
    for level in range(1, task.escalation_level + 1):
        if any(u.id == user_id for u in escalation_targets(session, task, level)):
            return level
    return 0


def may_act_on(session: Session, actor: Actor, task: Task) -> tuple[bool, int]:
    """Whether ``actor`` may claim or decide ``task``, and the escalation level that lets them.

    ``(True, 0)``: the task is offered to their role or assigned to them; ``(True, n)``: they
    act as its level-``n`` escalation target; ``(False, 0)``: neither.
    """
    if actor.has_role(task.role, task.department_id):
        return True, 0
    level = escalated_to(session, actor.user_id, task)
    if level:
        return True, level
    return task.assignee_id == actor.user_id, 0


def department_heads(session: Session, keys: tuple[str, ...]) -> list[User]:
    out: list[User] = []
    for key in keys:
        dep = org_cache.department_by_key(session, key)
        head = session.get(User, dep.head_user_id) if dep and dep.head_user_id else None
        if head and head.is_active and head not in out:
            out.append(head)
    return out
