"""Every state's ``shows`` declaration names something that exists: an event of its own
procedure, the start form, or a document kind with a registered form."""

from __future__ import annotations

import forms
from states import PROCEDURES


def test_every_shown_piece_names_an_event_the_start_or_a_document() -> None:
    for proc in PROCEDURES.values():
        for state in proc.states:
            wait = proc.wait_for(state.id)
            for entry in wait.shows if wait else ():
                if entry.startswith("doc:"):
                    assert entry.removeprefix("doc:") in forms.REGISTRY, (proc.key, entry)
                else:
                    assert entry == "start" or entry in proc.steps, (proc.key, state.id, entry)


def test_the_people_who_judge_earlier_work_are_shown_it() -> None:
    """The quote check shows the quote; the GM deciding on a decline, the board's opinions and
    the negotiation; production confirming a notice, the notice."""
    review = PROCEDURES["order_review"]
    assert "submit_quote" in review.wait_for("quote_check").shows
    assert {"infeasible", "record_negotiation"} <= set(review.wait_for("decline_approval").shows)
    for proc in PROCEDURES.values():
        for state in ("production_confirm", "revision_confirm", "acknowledging"):
            if state in proc.states_map:
                assert "doc:production_notice" in proc.wait_for(state).shows, (proc.key, state)
