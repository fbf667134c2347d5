"""``gendan import customers.xlsx``: every bad row listed, nothing written; a clean file imports."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from sqlmodel import Session, select

from gendan.models import AuditEvent, Customer
from gendan.runtime import build_runtime
from gendan.settings import Settings
from tests.test_cli import Gendan, db_path, gendan  # noqa: F401


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for r in rows:
        book.active.append(r)
    book.save(path)
    return path


def test_import_lists_bad_rows_then_imports_the_fixed_file(
    gendan: Gendan,  # noqa: F811
    db_path: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert gendan("demo").exit_code == 0
    head = ["客户编码", "客户名称", "客户等级"]
    bad = workbook(tmp_path / "customers.xlsx", [head, ["C1", "甲公司", "A"], ["C2", "", "X"]])
    result = gendan("import", str(bad))
    assert result.exit_code == 1, result.output
    assert "row 3  name" in result.output and "row 3  customer_class" in result.output
    assert "nothing written" in result.output

    good = workbook(tmp_path / "customers.xlsx", [head, ["C1", "甲公司", "A"], ["C2", "乙", "C"]])
    assert "dry run" in gendan("import", str(good), "--dry-run").output
    result = gendan("import", str(good))
    assert result.exit_code == 0 and "2 created" in result.output
    rt = build_runtime(Settings(database_url=f"sqlite:///{db_path}"))  # type: ignore[arg-type]
    with Session(rt.db) as s:
        assert len(s.exec(select(Customer)).all()) == 2
        imports = s.exec(select(AuditEvent).where(AuditEvent.action == "admin.master_import"))
        [event] = [e for e in imports if e.detail["kind"] == "customers"]  # (the demo's: items…)
    assert event.detail["file_name"] == "customers.xlsx" and event.detail["by"] == "admin"
    rt.db.dispose()
