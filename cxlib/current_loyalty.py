"""The current-state page's loyalty part: churn, repurchase rate, customer lifetime value and
RFM segments (:mod:`cxlib.loyalty`), each with its n and interval or a "too few" flag.

Periods: repurchase counts the orders of the page's period (all orders for all data). Churn is
measured over the page's period or, for all data, the latest complete quarter; lifetime value
uses the yearly churn of the twelve months that end with that period. RFM scores the orders up
to the period's end.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cxlib import current_charts, loyalty, views
from cxlib.charts import chart_html
from cxlib.current_common import Unavailable, interval_text, select
from cxlib.current_stats import latest_complete_quarter, lifetime_value_range, rfm_segments
from cxlib.metrics import MIN_N
from cxlib.page import Page, Selection
from cxlib.periods import Period


def loyalty_section(page: Page) -> None:
    """Show churn, repurchase rate and lifetime value as tiles (formula stated), then the RFM
    segments as a chart and a table. Without orders and customers: a notice."""
    tr = page.tr
    page.show(views.heading(tr("loyalty.heading")))
    if not page.has("orders") and not page.has("customers"):
        page.show(views.notice(tr("loyalty.no_data")))
        return
    orders = _all(page, "orders")
    customers = _all(page, "customers")
    parts: list[str] = []
    for selection in (orders, customers):
        if isinstance(selection, Unavailable):
            parts.append(selection.html(page))
        elif selection is not None:
            parts.append(page.note_html(selection.notes))
    order_rows = orders.frame if isinstance(orders, Selection) else None
    customer_rows = customers.frame if isinstance(customers, Selection) else None
    window = _churn_period(page, order_rows, customer_rows)
    tiles: list[str] = []
    notes: list[str] = []
    churn = _churn(page, order_rows, customer_rows, window)
    if isinstance(churn, Unavailable):
        notes.append(churn.html(page, warning=False))
    else:
        tiles.append(_share_tile(page, "kpi_name.churn_rate", churn, "loyalty.churn_in", window))
    if order_rows is None:
        notes.append(views.notice(tr("loyalty.no_orders")))
    else:
        repurchase = select(page, "orders")
        if isinstance(repurchase, Unavailable):
            notes.append(repurchase.html(page))
        else:
            rate = loyalty.repurchase_rate(repurchase.frame).iloc[0]
            tiles.append(
                _share_tile(page, "kpi_name.repurchase_rate", rate, "loyalty.orders_in", None)
            )
            value = _lifetime_value(page, order_rows, customer_rows, window)
            if isinstance(value, Unavailable):
                notes.append(value.html(page, warning=False))
            else:
                tiles.append(value[0])
                notes.append(views.paragraph(value[1]))
    parts += [views.paragraph(tr("loyalty.intro")), views.tiles(*tiles), *notes]
    if order_rows is not None:
        parts += _rfm(page, order_rows)
    page.show(*parts)


def _all(page: Page, name: str) -> Selection | Unavailable | None:
    """A table's rows for the page's segment, whatever the period (churn needs history)."""
    if not page.has(name):
        return None
    return select(page, name, period=Period(""))


def _churn_period(
    page: Page, orders: pd.DataFrame | None, customers: pd.DataFrame | None
) -> Period | None:
    """The page's period, else the latest complete quarter of the orders (or customers)."""
    if not page.params.period.is_all:
        return page.params.period
    for name, rows in (("orders", orders), ("customers", customers)):
        if rows is not None and len(rows):
            newest = page.as_of(name, rows)
            if newest is not None:
                return latest_complete_quarter(newest)
    return None


def _churn(
    page: Page,
    orders: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    period: Period | None,
) -> pd.Series | Unavailable:
    flagged = customers is not None and "churned" in customers.columns
    if not flagged and (orders is None or period is None):
        return Unavailable("loyalty.no_churn")
    days = int(page.workspace.config.get("loyalty", {}).get("churn_inactive_days", 365))
    result = loyalty.churn_rate(
        customers if flagged else None,
        orders=orders,
        period=period,
        inactive_days=days,
        timezone=page.workspace.timezone,
    )
    return result.iloc[0]


def _share_tile(page: Page, label: str, row: pd.Series, scope: str, period: Period | None) -> str:
    tr = page.tr
    if int(row["n"]) == 0:
        return views.tile(tr(label), "–", [tr("loyalty.n", n=tr.number(0))])
    shown = period or page.params.period
    details = [
        tr("tile.interval", interval=_interval(page, row["ci_low"], row["ci_high"], 1)),
        tr("loyalty.n", n=tr.number(row["n"])),
        tr(scope, period=shown.label) if shown.label else tr(f"{scope}_all"),
    ]
    flag = tr("loyalty.small_n", min_n=MIN_N) if "small_n" in row["flags"] else ""
    value = tr("tile.percent", value=tr.number(row["value"], digits=1))
    return views.tile(tr(label), value, details, flag)


def _interval(page: Page, low: float, high: float, digits: int) -> str:
    return interval_text(page, low, high, digits=digits)


def _lifetime_value(
    page: Page,
    orders: pd.DataFrame,
    customers: pd.DataFrame | None,
    period: Period | None,
) -> tuple[str, str] | Unavailable:
    """The CLV tile and the sentence stating its formula and inputs."""
    tr = page.tr
    settings = page.workspace.config.get("loyalty", {})
    if "margin" not in settings or "discount" not in settings:
        return Unavailable("loyalty.clv_needs_settings")
    if period is None or period.end is None:
        return Unavailable("loyalty.no_churn")
    end = period.end
    year = Period("", _year_before(end), end)
    tz = page.workspace.timezone
    rows = orders[year.mask(orders["ordered_at"], tz)] if "ordered_at" in orders else orders
    if rows.empty:
        return Unavailable("loyalty.no_orders_in_window")
    churn = _churn(page, orders, customers, year)
    if isinstance(churn, Unavailable):
        return churn
    window = tr("loyalty.window", start=tr.date(year.start), end=tr.date(end - dt.timedelta(1)))
    if int(churn["n"]) == 0:
        return Unavailable("loyalty.clv_no_base", (("window", window),))
    margin, discount = float(settings["margin"]), float(settings["discount"])
    value = lifetime_value_range(rows, margin=margin, discount=discount, churn=churn)
    clv = value.value
    currency = page.workspace.currency

    def money(amount: float) -> str:
        return tr("loyalty.money", value=tr.number(amount), currency=currency)

    details = [
        tr("loyalty.clv_range", low=money(value.low), high=money(value.high)),
        tr("loyalty.n_customers", n=tr.number(clv.customers)),
        window,
    ]
    flag = tr("loyalty.small_n", min_n=MIN_N) if "small_n" in churn["flags"] else ""
    tile = views.tile(tr("loyalty.clv"), money(clv.formula), details, flag)
    formula = tr(
        "loyalty.clv_formula",
        margin=tr.number(100 * margin, digits=1),
        discount=tr.number(100 * discount, digits=1),
        retention=tr.number(100 * clv.retention, digits=1),
        churn_n=tr.number(churn["n"]),
        revenue=money(clv.yearly_revenue),
        customers=tr.number(clv.customers),
        window=window,
    )
    return tile, formula


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _rfm(page: Page, orders: pd.DataFrame) -> list[str]:
    """RFM segments of the customers who ordered up to the period's end."""
    tr = page.tr
    period, tz = page.params.period, page.workspace.timezone
    as_of = None
    if period.end is not None:
        end = pd.Timestamp(period.end).tz_localize(tz).tz_convert("UTC")
        orders = orders[orders["ordered_at"] < end]
        as_of = end.to_pydatetime()
    heading = views.heading(tr("rfm.heading"), 3)
    if not {"customer_id", "ordered_at", "revenue"} <= set(orders.columns):
        return [heading, views.notice(tr("rfm.not_possible"))]
    customers = loyalty.rfm(orders, as_of=as_of)
    if customers.empty:
        return [heading, views.notice(tr("rfm.no_customers"), warning=True)]
    segments = rfm_segments(customers, loyalty.SEGMENTS)
    segments = segments.assign(label=[tr(f"rfm.segment.{s}") for s in segments["segment"]])
    rows = [
        (
            r["label"],
            tr.number(r["customers"]),
            tr("tile.percent", value=tr.number(r["share"], digits=1)),
            tr.number(r["recency_days"]),
            tr.number(r["frequency"], digits=1),
            tr("loyalty.money", value=tr.number(r["monetary"]), currency=page.workspace.currency)
            if r["customers"]
            else "–",
        )
        for _, r in segments.iterrows()
    ]
    headers = [
        tr("rfm.segment"),
        tr("rfm.customers"),
        tr("rfm.share"),
        tr("rfm.recency"),
        tr("rfm.frequency"),
        tr("rfm.monetary"),
    ]
    day = period.end - dt.timedelta(1) if period.end else page.as_of("orders", orders)
    return [
        heading,
        views.paragraph(tr("rfm.intro", n=tr.number(len(customers)), date=tr.date(day))),
        chart_html(current_charts.rfm_chart(segments, tr)),
        views.table(headers, rows, numeric=frozenset({1, 2, 3, 4, 5})),
    ]
