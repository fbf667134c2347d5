"""Demo materials (issue 10): items, suppliers, the price file, subcontractors, the BOM of the
demo's cabinet GGD-1600 and stock — imported through the master-data import as the
administrator would (audited), so the stock triggers run on the imported levels: the copper
busbar lies under its safety stock (a 物料跟催单 awaits MC) and the powder paint at its maximum
(a 仓库物料异常预警报告 awaits MC's cause).

The same rows are the example import files in ``docs/examples/`` (``write_examples``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import select

from gendan import masterdata
from gendan.db import unit_of_work
from gendan.models import User
from gendan.org import load_actor

if TYPE_CHECKING:
    from gendan.demo import Driver

ITEMS = [
    ["物料编码", "物料名称", "规格", "库存单位", "结算单位", "换算系数", "ABC 分类", "物料类别",
     "请购类别", "采购周期（天）", "紧急购料时间（天）", "日平均用量", "旺季安全库存",
     "淡季安全库存", "最高库存", "最小采购量", "单价", "急需物料"],
    ["CAB-SHEET", "冷轧钢板", "1.5×1250×2500", "张", "kg", 36.8, "A", "主料", "safety",
     10, 3, 12, 156, 120, 600, 50, 265, "否"],
    ["BUS-TMY60", "铜排", "TMY-60×6", "米", "kg", 3.2, "A", "主料", "safety",
     7, 2, 20, 180, 140, 800, 100, 218, "是"],
    ["BRK-DZ47", "断路器", "DZ47-63 C32", "只", "", 1, "B", "辅料", "safety",
     5, 2, 30, 210, 150, 1000, 100, 18.5, "否"],
    ["PAINT-7035", "粉末涂料", "RAL7035", "kg", "kg", 1, "C", "辅料", "safety",
     6, 2, 8, 64, 48, 300, 25, 32, "否"],
    ["LOCK-MS705", "门锁", "MS705", "只", "", 1, "C", "辅料", "order",
     5, 2, 0, 0, 0, 0, 50, 12, "否"],
]  # fmt: skip
SUPPLIERS = [
    ["供应商编码", "供应商名称", "合格供方", "联系人", "联系电话"],
    ["S001", "宁波宝钢钢材有限公司", "是", "周经理", "0574-88880001"],
    ["S002", "温州正泰电器销售部", "是", "陈经理", "0577-66660002"],
    ["S003", "上海铜业有限公司", "是", "王经理", "021-55550003"],
    ["S004", "杭州新涂料厂", "否", "李经理", "0571-44440004"],
]
PRICES = [
    ["供应商编码", "物料编码", "单价"],
    ["S001", "CAB-SHEET", 265],
    ["S003", "BUS-TMY60", 218],
    ["S002", "BRK-DZ47", 18.5],
    ["S004", "PAINT-7035", 32],
    ["S002", "LOCK-MS705", 12],
]
SUBCONTRACTORS = [
    ["外协厂编码", "外协厂名称", "加工工序", "联系人", "联系电话"],
    ["W001", "宁波五金厂", "钣金、折弯", "宋师傅", "0574-22220001"],
    ["W002", "慈溪喷涂厂", "喷涂", "孙师傅", "0574-33330002"],
]
#: The demo's cabinet (its finished-goods model, gendan.demo.STOCK_MODEL) per unit.
BOM = [
    ["父件编码", "子件编码", "单位用量", "单位", "定额"],
    ["GGD-1600", "CAB-SHEET", 6, "张", 6.3],
    ["GGD-1600", "BUS-TMY60", 12, "米", 12.5],
    ["GGD-1600", "BRK-DZ47", 24, "只", 24],
    ["GGD-1600", "PAINT-7035", 3.5, "kg", 3.8],
    ["GGD-1600", "LOCK-MS705", 2, "只", 2],
]
#: BUS-TMY60 under its safety stock (peak 180, off season 140); PAINT-7035 at its maximum.
STOCK = [
    ["物料编码", "仓库", "库存数量", "在途数量", "生产未领料"],
    ["CAB-SHEET", "RM", 320, 0, 36],
    ["BUS-TMY60", "RM", 120, 0, 24],
    ["BRK-DZ47", "RM", 480, 200, 48],
    ["PAINT-7035", "RM", 310, 0, 7],
    ["LOCK-MS705", "RM", 40, 0, 4],
]
#: Import order: what a row refers to comes first (prices name items and suppliers).
FILES = (
    ("items", ITEMS),
    ("suppliers", SUPPLIERS),
    ("prices", PRICES),
    ("subcontractors", SUBCONTRACTORS),
    ("bom", BOM),
    ("stock", STOCK),
)


def as_csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_examples(folder: Path) -> list[Path]:
    """``docs/examples/``: items as XLSX (as an ERP exports them), the others as CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, rows in FILES:
        path = folder / (f"{kind}.xlsx" if kind == "items" else f"{kind}.csv")
        path.write_bytes(as_xlsx(rows) if kind == "items" else as_csv(rows))
        written.append(path)
    return written


def materials(d: Driver) -> None:
    """Import the demo's materials as the administrator (each import audited)."""
    with unit_of_work(d.rt.db) as s:
        admin = s.exec(select(User).where(User.username == "admin")).one()
        actor = load_actor(s, admin.id)
        for kind, rows in FILES:
            report = masterdata.import_file(
                s, kind=kind, file_name=f"{kind}.csv", content=as_csv(rows), actor=actor,
                now=d.now, calendar=d.rt.calendar,
            )  # fmt: skip
            if not report.written:  # the demo's own data: a bad row is a bug here
                raise RuntimeError(f"demo {kind}: {report.errors}")


if __name__ == "__main__":  # python -m gendan.demo_materials: rewrite docs/examples/
    for written_path in write_examples(Path(__file__).resolve().parent.parent / "docs/examples"):
        print(written_path)
