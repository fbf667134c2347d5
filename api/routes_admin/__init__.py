"""Pages for the administrator (people, roles, departments, calendar, channels).

Every page needs the role ``admin`` (403 otherwise, before the form is even
read). Every POST checks CSRF, calls one ``gendan.admin`` function in one
unit of work (which audits the change), then redirects 303 back with
``?done=<what>``; invalid input re-renders the page with 422 and the reason
next to the field, having written nothing (``common.submit``).

``router`` holds the routes of every page, each added by its module:
``overview``, ``people``, ``departments``, ``calendar_days``, ``channels`` and
``masterdata``.
"""

from api.routes_admin import (
    calendar_days,
    channels,
    departments,
    masterdata,
    materials,
    overview,
    people,
)
from api.routes_admin.common import router

__all__ = ["PAGES", "router"]

#: The page modules; importing each adds its routes to ``router``.
PAGES = (overview, people, departments, calendar_days, channels, masterdata, materials)
