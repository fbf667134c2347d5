"""Find any order: the order list and one page per order (with JSON twins under /api), and
the inbox's tabs (to do, done by me, started by me, copied to me). Read-only GETs."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.responses import Response as PlainResponse
from jinja2 import pass_context

from api.deps import ApiActor, Db, Now, Rt
from api.errors import API_ERRORS
from api.facts import order_facts
from api.page_counts import page_counts
from api.web import Me, render, templates
from forms.base import number_problem
from gendan.errors import InvalidForm
from gendan.inbox_tabs import (
    PAGE_COUNT_CAP,
    TAB_TITLES,
    TABS,
    TabPage,
    parse_after,
    shown_count,
    tab_counts,
    tab_page,
)
from gendan.labels import ORDER_STATUSES
from gendan.limits import MAX_SEARCH
from gendan.links import order_page_links
from gendan.orders import (
    SORT_COLUMNS,
    OrderDetail,
    OrderFilter,
    OrderListPage,
    list_orders,
    order_detail,
)
from states import PROCEDURES

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["orders"], responses=API_ERRORS)

Search = Annotated[str | None, Query(max_length=MAX_SEARCH)]
PAGE_SIZE = 50


def _flt(
    q: str | None,
    order_no: str | None,
    customer: str | None,
    product: str | None,
    status: str | None,
    state: str | None,
    overdue: bool,
    sort: str,
    direction: str,
) -> OrderFilter:
    if direction not in ("asc", "desc"):
        raise InvalidForm({"dir": "asc or desc / 升序或降序"})
    return OrderFilter(
        q=q or None,
        order_no=order_no or None,
        customer=customer or None,
        product=product or None,
        status=status or None,
        state=state or None,
        overdue=overdue,
        sort=sort,  # type: ignore[arg-type]  # checked by list_orders (422)
        desc=direction == "desc",
    )


def _check_order_no(order_no: str) -> str:
    problem = number_problem(order_no) if len(order_no) <= 120 else "too long / 过长"
    if problem:  # no order can have such a number (forms.base.OrderNo)
        raise InvalidForm({"order_no": problem})
    return order_no


# --------------------------------------------------------------------------- pages


@pages.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    me: Me,
    db: Db,
    now: Now,
    q: Search = None,
    order_no: Search = None,
    customer: Search = None,
    product: Search = None,
    status: Search = None,
    state: Search = None,
    overdue: bool = False,
    sort: str = Query("created", max_length=20),
    dir: str = Query("desc", max_length=4),
    after: str | None = Query(None, max_length=200),
) -> PlainResponse:
    """Orders the reader may see: search, filters, sort, keyset pages."""
    flt = _flt(q, order_no, customer, product, status, state, overdue, sort, dir)
    page = list_orders(db, me.actor, now=now, flt=flt, after=after, limit=PAGE_SIZE)
    params = {
        "q": q,
        "order_no": order_no,
        "customer": customer,
        "product": product,
        "status": status,
        "state": state,
        "overdue": "1" if overdue else None,
        "sort": sort,
        "dir": dir,
    }
    kept = {k: v for k, v in params.items() if v}
    next_query = urlencode({**kept, "after": page.next_after}) if page.next_after else None

    def sort_link(key: str) -> str:
        flip = "asc" if sort == key and dir == "desc" else "desc"
        return "/orders?" + urlencode({**kept, "sort": key, "dir": flip})

    ctx = {
        "me": me,
        "page": page,
        "params": params,
        "next_query": next_query,
        "sort_link": sort_link,
        "sort_keys": list(SORT_COLUMNS),
        "statuses": ORDER_STATUSES,
        "procedures": PROCEDURES,
        "first_page": "/orders?" + urlencode(kept) if after else None,
    }
    return render(request, "orders.html", ctx)


@pages.get("/orders/{order_no}", response_class=HTMLResponse)
def order_page(order_no: str, request: Request, me: Me, db: Db, rt: Rt, now: Now) -> PlainResponse:
    """One order: facts, current steps and holders, timeline, documents, deadlines."""
    view = order_detail(db, me.actor, _check_order_no(order_no), now=now, calendar=rt.calendar)
    ctx = {
        "me": me,
        "view": view,
        "facts": order_facts(view.facts, rt.calendar.zone),
        "stock": None,
        "instance_id": view.main_instance_id,
        "minutes": _minutes,
        "local_time": company_minutes(rt.calendar.zone),
        "order_links": order_page_links(db, order_no, me.actor),  # parent → child procedures
    }
    return render(request, "order.html", ctx)


def company_minutes(zone: Any) -> Any:
    """An instant (UTC as stored) as company-local "YYYY-MM-DD HH:MM"; "—" when none."""

    def local(value: Any) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "—"

    return local


def _minutes(n: int, lang: str) -> str:
    """Working minutes as "2h05m" / "2小时05分" (lateness in working time)."""
    h, m = divmod(max(0, n), 60)
    if lang == "zh":
        return f"{h}工作小时{m:02d}分" if h else f"{m}工作分钟"
    return f"{h}h{m:02d}m working" if h else f"{m} working min"


@pages.get("/inbox", response_class=HTMLResponse)
def inbox_tabs_page(
    request: Request,
    me: Me,
    db: Db,
    rt: Rt,
    now: Now,
    tab: str = Query("todo", max_length=20),
    after: str | None = Query(None, max_length=200),
) -> PlainResponse:
    """The inbox's tabs: to do is the inbox itself; done, started and copied list the rest."""
    if tab not in TABS:
        raise InvalidForm({"tab": "one of todo, done, started, copied / 未知的分页标签"})
    if tab == "todo":
        from api.routes_pages import inbox_page

        return inbox_page(request, me, db, rt, now)
    page = tab_page(db, me.actor, tab, after=parse_after(after), limit=PAGE_SIZE)
    next_query = urlencode({"tab": tab, "after": page.next_after}) if page.next_after else None
    ctx = {
        "me": me,
        "tab": tab,
        "page": page,
        "next_query": next_query,
        "tabs": inbox_tabs(db, me, tab, counts=page_counts(request, me, db)),
    }
    return render(request, "inbox_tab.html", ctx)


def inbox_tabs(
    db: Any, me: Any, current: str = "todo", *, counts: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """The tab bar: key, words, count (bounded: "99+"), link, whether current (for inbox.html
    too)."""
    if counts is None:
        counts = tab_counts(db, me.actor, cap=PAGE_COUNT_CAP)
        db.rollback()  # a read: end the snapshot
    return [
        {
            "key": key,
            "zh": TAB_TITLES[key][0],
            "en": TAB_TITLES[key][1],
            "count": counts[key],
            "shown": shown_count(counts[key]),
            "href": f"/inbox?tab={key}",
            "current": key == current,
        }
        for key in TABS
    ]


@pass_context
def inbox_tab_bar(ctx: Any) -> list[dict[str, Any]]:
    """The tab bar for any page that includes ``_inbox_tabs.html`` without ``tabs`` (the
    inbox itself): counted in a read session of its own."""
    me, request = ctx.get("me"), ctx.get("request")
    if me is None or request is None:
        return []
    return inbox_tabs(None, me, str(ctx.get("tab") or "todo"), counts=page_counts(request, me))


templates.env.globals["inbox_tab_bar"] = inbox_tab_bar


# --------------------------------------------------------------------------- JSON twins


@api.get("/orders", response_model=OrderListPage)
def orders_api(
    actor: ApiActor,
    db: Db,
    now: Now,
    q: Search = None,
    order_no: Search = None,
    customer: Search = None,
    product: Search = None,
    status: Search = None,
    state: Search = None,
    overdue: bool = False,
    sort: Annotated[str, Query(description="created | order_no | delivery | customer")] = "created",
    dir: Annotated[str, Query(description="asc | desc")] = "desc",
    after: Annotated[
        str | None, Query(max_length=200, description="next_after, as returned")
    ] = None,
    limit: int = Query(50, ge=1, le=200),
) -> OrderListPage:
    """Orders the caller may see (see ``gendan.orders``), filtered, sorted, keyset-paginated:
    pass the returned ``next_after`` as ``after`` (same filters and sort) for the next page."""
    flt = _flt(q, order_no, customer, product, status, state, overdue, sort, dir)
    return list_orders(db, actor, now=now, flt=flt, after=after, limit=limit)


@api.get("/orders/{order_no}", response_model=OrderDetail)
def order_api(order_no: str, actor: ApiActor, db: Db, rt: Rt, now: Now) -> OrderDetail:
    """One order as the caller may read it: facts, procedures, current steps with holders,
    timeline (audit events of readable procedures), documents and revisions, deadlines."""
    return order_detail(db, actor, _check_order_no(order_no), now=now, calendar=rt.calendar)


@api.get("/inbox/tabs/{tab}", response_model=TabPage)
def inbox_tab_api(
    tab: str,
    actor: ApiActor,
    db: Db,
    after: Annotated[str | None, Query(max_length=200)] = None,
    limit: int = Query(50, ge=1, le=200),
) -> TabPage:
    """Done by me, started by me or copied to me, newest first (``after`` = ``next_after``)."""
    return tab_page(db, actor, tab, after=parse_after(after), limit=limit)


@api.get("/inbox/tab-counts")
def inbox_tab_counts_api(actor: ApiActor, db: Db) -> dict[str, int]:
    """How many rows each inbox tab holds: todo, done, started, copied."""
    return tab_counts(db, actor)
