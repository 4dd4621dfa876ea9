"""Reports and the tracking table as XLSX workbooks.

Text goes in as typed text cells (never a formula, whatever it starts with: the same rule as
``tathmini.records.exports``); numbers as numbers, so a reader can compute with them.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from tathmini.records.exports import safe_filename

BOLD = Font(bold=True)


def _put(ws: Worksheet, row: int, column: int, value: Any, bold: bool = False) -> None:
    if isinstance(value, Decimal):
        value = float(value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = TYPE_STRING  # never a formula
    if bold:
        cell.font = BOLD


def _number(text: str | None) -> float | None:
    return None if text is None else float(Decimal(text))


def _rows(ws: Worksheet, rows: list[list[Any]], header: bool = True) -> None:
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            _put(ws, r, c, value, bold=header and r == 1)


def local_time(iso: str | None) -> str:
    if not iso:
        return ""
    return timezone.localtime(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M")


def tracking_sheet(ws: Worksheet, table: dict[str, Any]) -> None:
    """One row per indicator; per period three columns: target, actual, % of target."""
    head: list[Any] = [_("Group"), _("Code"), _("Indicator"), _("Unit of measure")]
    # Labels outside the f-string: strings inside one are not seen by the translation extractor.
    target, actual = _("target"), _("actual")
    # xgettext:no-python-format
    percent = _("% of target")
    for code in table["periods"]:
        head += [f"{code} {target}", f"{code} {actual}", f"{code} {percent}"]
    rows: list[list[Any]] = [head]
    for group in table["groups"]:
        for row in group["rows"]:
            line: list[Any] = [f"{group['code']} {group['name']}".strip(), row["code"], row["name"], row["unit_label"]]
            for cell in row["cells"]:
                line += [_number(cell["target_raw"]), _number(cell["value_raw"]), _number(cell["percent_raw"])]
            rows.append(line)
    _rows(ws, rows)
    ws.freeze_panes = "E2"


def tracking_xlsx(table: dict[str, Any], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = safe_filename(title)[:31]
    tracking_sheet(ws, table)
    return _save(wb)


def report_xlsx(content: dict[str, Any]) -> bytes:
    """The report in four sheets: the report (facts and narrative), the scorecard, the tracking
    table and the challenges."""
    with translation.override(content["language"]):
        wb = Workbook()
        ws = wb.active
        ws.title = _("Report")[:31]
        narrative = content["narrative"]
        _rows(
            ws,
            [
                [content["plan"]["name"], ""],
                [_("Report"), content["title"]],
                [
                    _("Period"),
                    f"{content['period']['label']} ({content['period']['start']} – {content['period']['end']})",
                ],
                [_("Data as of"), local_time(content["as_of"])],
                [_("Achievements"), narrative["achievements"]],
                [_("Challenges"), narrative["challenges"]],
                [_("Way forward"), narrative["way_forward"]],
            ],
        )
        ws.column_dimensions["A"].width = 22
        ws.column_dimensions["B"].width = 100

        card = wb.create_sheet(_("Scorecard")[:31])
        rows: list[list[Any]] = [
            [
                _("Objective"),
                _("Code"),
                _("Indicator"),
                _("Unit of measure"),
                _("Value"),
                _("Target to date"),
                _("% of target"),
                _("Rating"),
                _("Trend"),
            ]
        ]
        for objective in content["scorecard"]["objectives"]:
            for line in objective["lines"]:
                rows.append(
                    [
                        f"{objective['code']} {objective['name']}",
                        line["code"],
                        line["name"],
                        line["unit_label"],
                        _number(line["value_raw"]),
                        _number(line["target_raw"]),
                        _number(line["percent_raw"]),
                        line["rating_label"],
                        line["trend_label"],
                    ]
                )
        _rows(card, rows)
        card.freeze_panes = "D2"

        tracking_sheet(wb.create_sheet(_("Tracking table")[:31]), content["tracking"])

        risks = wb.create_sheet(_("Challenges")[:31])
        rows = [[_("Code"), _("Challenge"), _("Status"), _("Risk score"), _("Mitigation"), _("Strategies")]]
        for c in content["challenges"]:
            rows.append(
                [c["code"], c["text"], c["status_label"], c["risk"], c["mitigation"], ", ".join(c["strategies"])]
            )
        _rows(risks, rows)
        return _save(wb)


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
