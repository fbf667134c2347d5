"""A sweep process with a chosen batch size, for tests/engine/test_sweep_set.py.

Here (not in the test module) so that ``multiprocessing``'s spawn start method imports
nothing but this module in the child.
"""

from __future__ import annotations

import traceback
from typing import Any

from gendan.db import make_engine
from tests.support.sweep_workers import SWEEP_AT


def batch_sweeper(url: str, batch: int, start: Any, out: Any) -> None:
    """One ``escalate_due`` as of ``SWEEP_AT`` in batches of ``batch``, after ``start``."""
    from gendan.escalation import escalate_due
    from gendan.runtime import Runtime, load_calendar
    from gendan.settings import Settings

    try:
        conf = Settings(database_url=url)
        db = make_engine(url)
        rt = Runtime(db=db, calendar=load_calendar(db, conf), settings=conf)
        start.wait(60)
        done = escalate_due(rt, now=SWEEP_AT, batch=batch)
        out.put({"fired": [(e.task_id, e.level) for e in done]})
    except BaseException as exc:
        out.put({"crash": "".join(traceback.format_exception(exc))})
        raise
    finally:
        db.dispose()
