"""The displaced-order ranking (§4; 000/3 排期原则) as a pure function."""

from __future__ import annotations

from datetime import date

from gendan.ranking import Candidate, rank_displaced


def order_nos(ranked: list) -> list[str]:
    return [r.order_no for r in ranked]


def test_sooner_delivery_ranks_first() -> None:
    ranked = rank_displaced(
        [
            Candidate("late", date(2026, 12, 20), "A"),
            Candidate("soon", date(2026, 12, 5), "C"),
        ]
    )
    assert order_nos(ranked) == ["soon", "late"]
    assert [r.rank for r in ranked] == [1, 2]


def test_customer_class_breaks_a_date_tie() -> None:
    day = date(2026, 12, 10)
    ranked = rank_displaced(
        [Candidate("c", day, "C"), Candidate("a", day, "A"), Candidate("b", day, "B")]
    )
    assert order_nos(ranked) == ["a", "b", "c"]


def test_capacity_balance_puts_the_urgent_line_last_among_equals() -> None:
    day = date(2026, 12, 10)
    ranked = rank_displaced(
        [
            Candidate("same-line", day, "B", line="L1", quantity=5),
            Candidate("other-line", day, "B", line="L2", quantity=50),
        ],
        urgent_line="L1",
    )
    assert order_nos(ranked) == ["other-line", "same-line"]
    assert any("urgent order's line" in r for r in ranked[1].reasons)


def test_heavier_line_moves_first_when_no_urgent_line_decides() -> None:
    day = date(2026, 12, 10)
    ranked = rank_displaced(
        [
            Candidate("heavy-1", day, "B", line="H", quantity=40),
            Candidate("heavy-2", day, "B", line="H", quantity=40),
            Candidate("light", day, "B", line="L", quantity=10),
        ]
    )
    assert order_nos(ranked)[0] == "light"


def test_long_process_is_flagged_not_sorted() -> None:
    ranked = rank_displaced(
        [
            Candidate("long", date(2026, 12, 20), "B", long_process=True),
            Candidate("short", date(2026, 12, 5), "B"),
        ]
    )
    assert order_nos(ranked) == ["short", "long"]  # the flag moved nothing
    assert [r.long_process for r in ranked] == [False, True]
    assert any("long process" in r for r in ranked[1].reasons)


def test_empty_and_deterministic() -> None:
    assert rank_displaced([]) == []
    day = date(2026, 12, 10)
    one = rank_displaced([Candidate("x2", day), Candidate("x1", day)])
    assert order_nos(one) == ["x1", "x2"]
    assert one[0].as_dict()["delivery_date"] == "2026-12-10"
