"""A report's PDF and XLSX: rendered fresh for a draft, rendered once for a published report.

A published report's content is frozen (``services.report_publish``), so its files cannot change
either: the first download renders each format and keeps the bytes (``models.ReportFile``); every
later download, in any process or on any machine, gets those same bytes without rendering, whatever
has happened to the records and values since. A draft's numbers follow the data, so its files are
rendered on each download and never kept.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from tathmini.reports import pdf, services, xlsx
from tathmini.reports.models import Report, ReportFile


def render(file_format: str, content: dict[str, Any]) -> bytes:
    if ReportFile.Format(file_format) == ReportFile.Format.PDF:
        return pdf.render_pdf(content)
    return xlsx.report_xlsx(content)


def report_file(report: Report, file_format: str) -> bytes:
    """The report's file in ``file_format`` ("pdf" or "xlsx")."""
    frozen = report.frozen()
    if frozen is None:
        return render(file_format, services.content(report))
    key = {"report": report, "language": frozen["language"], "format": file_format}
    kept = ReportFile.objects.filter(**key).values_list("content", flat=True).first()
    if kept is not None:
        return bytes(kept)
    data = render(file_format, frozen)
    try:
        # A savepoint: the unique key refuses a second copy without spoiling an outer transaction.
        with transaction.atomic():
            ReportFile.objects.create(**key, content=data)
    except IntegrityError:
        # Another request rendered the same file meanwhile: serve the copy that was kept, so that
        # every download of a published report is the same bytes.
        return bytes(ReportFile.objects.filter(**key).values_list("content", flat=True).get())
    return data
