"""``gendan import items.xlsx`` (issue 10): three bad rows listed and nothing written, the clean
file imported and audited; a large file shows a progress bar; the demo has materials."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from gendan.demo_materials import as_csv
from gendan.models import AuditEvent, Instance, Item
from gendan.runtime import build_runtime
from gendan.settings import Settings
from tests.engine.test_materials_import import EXAMPLES, three_bad_rows
from tests.test_cli import Gendan, db_path, gendan  # noqa: F401


def test_import_items_xlsx_bad_then_clean_then_large(
    gendan: Gendan,  # noqa: F811
    db_path: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert gendan("demo").exit_code == 0
    rt = build_runtime(Settings(database_url=f"sqlite:///{db_path}"))  # type: ignore[arg-type]
    imports = select(AuditEvent).where(AuditEvent.action == "admin.master_import")
    with Session(rt.db) as s:  # the demo imported its materials: the busbar is under safety
        slips = s.exec(select(Instance).where(Instance.procedure == "reorder_chase")).all()
        kinds = {e.detail["kind"] for e in s.exec(imports)}
        items_before = len(s.exec(select(Item)).all())
    assert "BUS-TMY60" in {i.subject_key for i in slips}
    assert kinds >= {"items", "suppliers", "prices", "subcontractors", "bom", "stock"}

    bad = tmp_path / "items.xlsx"
    bad.write_bytes(three_bad_rows())
    result = gendan("import", str(bad))
    assert result.exit_code == 1, result.output
    for line in ("row 2  abc_class", "row 4  max_qty", "row 6  lead_days"):
        assert line in result.output
    assert "3 error(s): nothing written" in result.output

    good = tmp_path / "clean" / "items.xlsx"
    good.parent.mkdir()
    good.write_bytes((EXAMPLES / "items.xlsx").read_bytes())
    result = gendan("import", str(good))
    assert result.exit_code == 0 and "5 updated" in result.output, result.output

    rows = [["code", "name", "requisition_class"]] + [[f"X-{n:04d}", f"物料 {n}", "order"]
                                                      for n in range(250)]  # fmt: skip
    large = tmp_path / "items-large.csv"
    large.write_bytes(as_csv(rows))  # type: ignore[arg-type]
    result = gendan("import", str(large))
    assert result.exit_code == 0 and "250 created" in result.output
    assert "write 250 rows" in result.output  # the progress bar's label
    with Session(rt.db) as s:
        assert len(s.exec(select(Item)).all()) == items_before + 250
        events = s.exec(imports).all()
    assert [e.detail["file_name"] for e in events[-2:]] == ["items.xlsx", "items-large.csv"]
    rt.db.dispose()
