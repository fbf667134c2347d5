"""Master data for materials (issue 10; PROCEDURES.md "Master data"): items, suppliers (the
approved list), the price file, subcontractors, BOM lines with quotas, stock per warehouse.

They are kinds of ``gendan.masterdata`` (the same import with its whole-file check and dry
run, the same admin page, API and ``gendan import``), registered in ``KINDS`` here. Items,
suppliers, prices, subcontractors and BOM lines are written to their tables, matched by
their natural key. Stock is never written directly: a row's on-hand quantity becomes a
movement of kind ``import`` (``adjust`` when entered by hand) for the difference through
``gendan.stock.move``, so the stock triggers (§5b, §5i) see imported levels; in transit and
unissued are set; ``stock.notify`` then re-runs the triggers once per item.

The triggers judge an imported item on its total once every row is in (``Kind.after``), not
row by row.

Choice: a price, a BOM line's component and a stock row must name an item already on file
(and a price its supplier), because a row about an unknown item cannot be used by anyone
(import items first, as teams after lines). A BOM's parent may be a product not kept as an
item (a finished product is ordered by model, §1). Choice: a quota, when given, is at least
the quantity per parent, because a quota is the issue allowance including loss (003 5.7.2).
Choice: a maximum, when given, is at least both safety stocks, because stock at the maximum
warns of overstock (§5i) and at the safety stock reorders (§5b): one cannot lie below the
other.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from sqlmodel import Session, select

from forms.base import number_problem
from gendan.masterdata import (
    KINDS,
    SETTING_RANGES,
    SETTINGS,
    Kind,
    RowError,
    WriteContext,
    _Row,
)
from gendan.models import BomLine, Item, Stock, Subcontractor, Supplier, SupplierPrice

ABC = {"A": ("A 类", "Class A"), "B": ("B 类", "Class B"), "C": ("C 类", "Class C")}
#: 003 5.1: safety-stock, per-order, temporary requisition.
REQUISITION_CLASSES = {
    "safety": ("安全存量请购", "Safety stock"),
    "order": ("按单采购", "Per order"),
    "temporary": ("临时请购", "Temporary"),
}
_YES = {"是", "有", "√", "✓"}
_NO = {"否", "无", "×"}


def _code(value: str) -> str:
    """A code ends up in document numbers and URLs (GC-<item>-01): no spaces, / \\ ? or #."""
    problem = number_problem(value)
    if problem:
        raise ValueError(problem)
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain spaces / 不得包含空格")
    return value


#: An item, supplier, subcontractor or BOM code.
Code = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_code)]
_QTY = Field(default=0.0, ge=0, le=1e9)


def _yes_no(value: Any) -> Any:
    """Spreadsheet booleans: 是/否 besides yes/no, true/false, 1/0."""
    if isinstance(value, str):
        text = value.strip()
        if text in _YES:
            return True
        if text in _NO:
            return False
    return value


class ItemRow(_Row):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    spec: str = Field(default="", max_length=200)
    stock_unit: str = Field(default="pcs", min_length=1, max_length=20)
    settle_unit: str = Field(default="", max_length=20)
    factor: float = Field(default=1.0, gt=0, le=1e6)
    abc_class: Literal["A", "B", "C"] = "C"
    material_class: str = Field(default="", max_length=40)
    requisition_class: Literal["safety", "order", "temporary"] = "order"
    lead_days: int = Field(default=0, ge=0, le=365)
    emergency_days: int = Field(default=0, ge=0, le=365)
    daily_use: float = _QTY
    safety_peak: float = _QTY
    safety_off: float = _QTY
    max_qty: float = _QTY
    moq: float = _QTY
    price: float = _QTY
    urgent: bool = False
    active: bool = True

    @field_validator("abc_class", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("urgent", "active", mode="before")
    @classmethod
    def _bool(cls, value: Any) -> Any:
        return _yes_no(value)

    @field_validator("max_qty")
    @classmethod
    def _max_above_safety(cls, value: float, info: ValidationInfo) -> float:
        safety = max(info.data.get("safety_peak") or 0, info.data.get("safety_off") or 0)
        if value and value < safety:
            raise ValueError("below the safety stock / 最高库存低于安全库存")
        return value


class SupplierRow(_Row):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    approved: bool = True
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=200)

    @field_validator("approved", mode="before")
    @classmethod
    def _bool(cls, value: Any) -> Any:
        return _yes_no(value)


class PriceRow(_Row):
    supplier_code: Code
    item_code: Code
    price: float = Field(gt=0, le=1e9)


class SubcontractorRow(_Row):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    operations: str = Field(default="", max_length=400)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)


class BomRow(_Row):
    parent_code: Code
    component_code: Code
    qty_per: float = Field(gt=0, le=1e6)
    unit: str = Field(default="", max_length=20)
    quota: float = Field(default=0.0, ge=0, le=1e6)

    @field_validator("component_code")
    @classmethod
    def _not_parent(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("parent_code"):
            raise ValueError("the parent itself / 子件不能是父件本身")
        return value

    @field_validator("quota")
    @classmethod
    def _quota(cls, value: float, info: ValidationInfo) -> float:
        if value and value < (info.data.get("qty_per") or 0):
            raise ValueError("below the quantity per parent / 定额低于单位用量")
        return value


class StockRow(_Row):
    item_code: Code
    warehouse: str = Field(default="RM", min_length=1, max_length=40)
    on_hand: float = _QTY
    in_transit: float = _QTY
    unissued: float = _QTY


# -- checks against what is on file --------------------------------------------------------


def _known(session: Session, model: Any, codes: set[str]) -> set[str]:
    if not codes:
        return set()
    return set(session.exec(select(model.code).where(model.code.in_(codes))).all())


def _refs(*fields: tuple[str, Any, str]):  # noqa: ANN202 - a check factory
    """A check that each named column names a record on file: (column, model, words)."""

    def check(session: Session, rows: list[tuple[int, dict[str, Any]]]) -> list[RowError]:
        errors: list[RowError] = []
        for column, model, words in fields:
            known = _known(session, model, {r[column] for _, r in rows})
            errors += [
                RowError(n, column, f"no {words[0]} {r[column]} on file / 没有此{words[1]}")
                for n, r in rows
                if r[column] not in known
            ]
        return errors

    return check


ITEM_REF = ("item", "物料")


# -- stock goes through gendan.stock -------------------------------------------------------


def _write_stock(session: Session, row: dict[str, Any], ctx: WriteContext) -> bool:
    """Set in transit and unissued; move on hand by the difference (import / adjust)."""
    from gendan import stock

    code, warehouse = row["item_code"], row["warehouse"]
    found = session.exec(
        select(Stock).where(Stock.item_code == code, Stock.warehouse == warehouse)
    ).first()
    created = found is None
    if found is None:
        found = Stock(item_code=row["item_code"], warehouse=row["warehouse"], as_of=ctx.now)
    found.in_transit, found.unissued, found.as_of = row["in_transit"], row["unissued"], ctx.now
    session.add(found)
    session.flush()
    difference = round(row["on_hand"] - found.on_hand, 3)
    if difference:
        stock.move(
            session,
            item_code=row["item_code"],
            qty=difference,
            kind="import" if ctx.source == "import" else "adjust",
            now=ctx.now,
            calendar=ctx.calendar,
            warehouse=row["warehouse"],
            ref=ctx.ref,
            by_id=ctx.actor.user_id,
            field="on_hand",
            watch=False,  # judged on the item's total once every row is in (_stock_written)
        )
    return created


def _stock_written(session: Session, rows: list[dict[str, Any]], ctx: WriteContext) -> None:
    """Every row is in: the triggers look at each item's total once (an item in two
    warehouses is not judged on the first row alone)."""
    from gendan import stock

    codes = sorted({r["item_code"] for r in rows})
    for item in session.exec(select(Item).where(Item.code.in_(codes)).order_by(Item.code)).all():
        stock.notify(session, item, now=ctx.now, calendar=ctx.calendar, cause={ctx.source: ctx.ref})


def _items_changed(session: Session, rows: list[dict[str, Any]], ctx: WriteContext) -> None:
    """New safety stocks or maximums: the triggers look again at the stock on file."""
    from gendan import stock

    codes = {r["code"] for r in rows}
    held = set(session.exec(select(Stock.item_code).where(Stock.item_code.in_(codes))).all())
    for item in session.exec(select(Item).where(Item.code.in_(held)).order_by(Item.code)).all():
        stock.notify(session, item, now=ctx.now, calendar=ctx.calendar, cause={ctx.source: ctx.ref})


MATERIAL_KINDS: dict[str, Kind] = {
    "items": Kind(
        ItemRow,
        {
            "code": ("物料编码", "Item code"),
            "name": ("物料名称", "Name"),
            "spec": ("规格", "Spec"),
            "stock_unit": ("库存单位", "Stock unit"),
            "settle_unit": ("结算单位", "Settlement unit"),
            "factor": ("换算系数", "Factor"),
            "abc_class": ("ABC 分类", "ABC class"),
            "material_class": ("物料类别", "Material class"),
            "requisition_class": ("请购类别", "Requisition class"),
            "lead_days": ("采购周期（天）", "Lead time (days)"),
            "emergency_days": ("紧急购料时间（天）", "Emergency time (days)"),
            "daily_use": ("日平均用量", "Daily use"),
            "safety_peak": ("旺季安全库存", "Safety stock, peak"),
            "safety_off": ("淡季安全库存", "Safety stock, off season"),
            "max_qty": ("最高库存", "Maximum stock"),
            "moq": ("最小采购量", "MOQ"),
            "price": ("单价", "Price"),
            "urgent": ("急需物料", "Urgent"),
            "active": ("启用", "Active"),
        },
        ("code",),
        model=Item,
        after=_items_changed,
        label=("物料", "Items"),
    ),
    "suppliers": Kind(
        SupplierRow,
        {
            "code": ("供应商编码", "Supplier code"),
            "name": ("供应商名称", "Name"),
            "approved": ("合格供方", "Approved"),
            "contact_name": ("联系人", "Contact"),
            "contact_phone": ("联系电话", "Phone"),
            "contact_email": ("邮箱", "E-mail"),
        },
        ("code",),
        model=Supplier,
        label=("供应商（合格供方名录）", "Suppliers (approved list)"),
    ),
    "prices": Kind(
        PriceRow,
        {
            "supplier_code": ("供应商编码", "Supplier code"),
            "item_code": ("物料编码", "Item code"),
            "price": ("单价", "Price"),
        },
        ("supplier_code", "item_code"),
        model=SupplierPrice,
        check=_refs(("supplier_code", Supplier, ("supplier", "供应商")),
                    ("item_code", Item, ITEM_REF)),  # fmt: skip
        label=("价格档案", "Price file"),
    ),
    "subcontractors": Kind(
        SubcontractorRow,
        {
            "code": ("外协厂编码", "Subcontractor code"),
            "name": ("外协厂名称", "Name"),
            "operations": ("加工工序", "Operations"),
            "contact_name": ("联系人", "Contact"),
            "contact_phone": ("联系电话", "Phone"),
        },
        ("code",),
        model=Subcontractor,
        label=("外协厂", "Subcontractors"),
    ),
    "bom": Kind(
        BomRow,
        {
            "parent_code": ("父件编码", "Parent code"),
            "component_code": ("子件编码", "Component code"),
            "qty_per": ("单位用量", "Qty per"),
            "unit": ("单位", "Unit"),
            "quota": ("定额", "Quota"),
        },
        ("parent_code", "component_code"),
        model=BomLine,
        check=_refs(("component_code", Item, ITEM_REF)),
        label=("BOM 物料清单", "BOM lines"),
    ),
    "stock": Kind(
        StockRow,
        {
            "item_code": ("物料编码", "Item code"),
            "warehouse": ("仓库", "Warehouse"),
            "on_hand": ("库存数量", "On hand"),
            "in_transit": ("在途数量", "In transit"),
            "unissued": ("生产未领料", "Unissued"),
        },
        ("item_code", "warehouse"),
        model=Stock,
        check=_refs(("item_code", Item, ITEM_REF)),
        write=_write_stock,
        after=_stock_written,
        label=("库存", "Stock"),
    ),
}
KINDS.update(MATERIAL_KINDS)

#: The season whose safety stock applies (003 5.1.1A 分旺季及淡季): months start..end are the
#: peak season (wrapping over the new year when start > end). Choice: September to December
#: by default, the busy months before the Spring Festival of the seeds' furniture and cabinet
#: makers; the company sets its own on the master-data page.
SETTINGS.update(
    {
        "peak_season_start_month": (
            "旺季开始月份（安全库存取旺季值）",
            "Peak season: first month (the peak safety stock applies)",
            lambda: 9,
        ),
        "peak_season_end_month": (
            "旺季结束月份",
            "Peak season: last month",
            lambda: 12,
        ),
    }
)
SETTING_RANGES.update({"peak_season_start_month": (1, 12), "peak_season_end_month": (1, 12)})


# -- reading -------------------------------------------------------------------------------


def rows_of(session: Session, kind: str) -> list[Any]:
    """The records of a table-backed kind, by natural key."""
    spec = KINDS[kind]
    assert spec.model is not None
    order = [getattr(spec.model, k) for k in spec.natural_key]
    return list(session.exec(select(spec.model).order_by(*order)).all())


def as_row(kind: str, record: Any) -> dict[str, Any]:
    """A record as its kind's row (what the API answers and the page lists)."""
    return {name: getattr(record, name) for name in KINDS[kind].row.model_fields}
