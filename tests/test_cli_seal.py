"""``gendan keys init``, ``gendan audit seal`` and ``gendan audit verify`` with seals (issue 7)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from gendan.cli import app
from gendan.settings import get_settings

Gendan = Callable[..., Result]


@pytest.fixture
def gendan(tmp_path: Path) -> Iterator[Gendan]:
    runner = CliRunner()
    env = {
        "GENDAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "GENDAN_SEAL_KEY_FILE": "",
        "GENDAN_SEAL_ANCHOR": "",
    }

    def run(*args: str) -> Result:
        get_settings.cache_clear()
        return runner.invoke(app, list(args), env=env)

    yield run
    get_settings.cache_clear()


def test_keys_init_writes_the_key_beside_the_database_and_refuses_to_overwrite(
    gendan: Gendan, tmp_path: Path
) -> None:
    made = gendan("keys", "init")
    assert made.exit_code == 0, made.output
    key = tmp_path / "audit-seal.key"
    assert f"seal key written to {key}" in made.output and "Back up" in made.output
    before = key.read_bytes()
    assert b"PRIVATE KEY" in before and key.stat().st_mode & 0o777 == 0o600

    again = gendan("keys", "init")
    assert again.exit_code == 1 and "already exists" in again.output
    assert key.read_bytes() == before


def test_demo_makes_the_key_seal_then_verify_names_a_tampered_sealed_event(
    gendan: Gendan, tmp_path: Path
) -> None:
    assert gendan("demo").exit_code == 0
    assert (tmp_path / "audit-seal.key").exists()  # the two-command start keeps working
    assert gendan("demo").exit_code == 0  # and a second start keeps the key it has

    before = gendan("audit", "verify")
    assert before.exit_code == 0, before.output
    assert "no seals yet" in before.output and "not yet sealed: " in before.output

    sealed = gendan("audit", "seal")
    assert sealed.exit_code == 0, sealed.output
    assert "sealed up to event" in sealed.output and "anchor matches" in sealed.output
    anchor = (tmp_path / "audit-anchor.jsonl").read_text().splitlines()
    assert len(anchor) == 1

    intact = gendan("audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert (
        intact.output.startswith("audit chain intact: ") and "not yet sealed" not in intact.output
    )

    with sqlite3.connect(tmp_path / "cli.db") as conn:
        conn.execute("DROP TRIGGER auditevent_read_only_d")
        conn.execute("DELETE FROM auditevent WHERE seq >= 5")
        row = conn.execute("SELECT hash FROM auditevent WHERE seq = 4").fetchone()
        conn.execute("UPDATE audithead SET seq = 4, hash = ?", row)

    broken = gendan("audit", "verify")
    assert broken.exit_code == 1
    assert "audit chain BROKEN at event 5: event missing: sealed up to #" in broken.output

    refused = gendan("audit", "seal")
    assert refused.exit_code == 1 and "nothing sealed" in refused.output
    assert len((tmp_path / "audit-anchor.jsonl").read_text().splitlines()) == 1


def test_audit_seal_without_a_key_says_how_to_make_one(gendan: Gendan) -> None:
    result = gendan("audit", "seal")
    assert result.exit_code == 1 and "gendan keys init" in result.output
