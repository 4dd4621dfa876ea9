"""Spreadsheet imports that take a while: a row per upload, so the person who sent the file can
watch it being checked and read its report afterwards (docs/import-formats.md)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        CHECKING = "checking", _("Checking rows")
        WRITING = "writing", _("Writing records")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    # A random id: the job's page address and the audit trail's batch, not guessable from another.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("by")
    )
    record_type = models.CharField(_("record type"), max_length=40)
    filename = models.CharField(_("file"), max_length=200)
    dry_run = models.BooleanField(_("check only"), default=False)
    language = models.CharField(max_length=10, default="sw")  # the report is written in the uploader's language
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    created = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    written = models.BooleanField(_("written"), default=False)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    problems = models.JSONField(default=list)  # [[row or null, column, reason], …], the first ones only
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The last sign of life of the process running the job (every progress step): a job whose
    # process stopped (a restart) is recognised by its silence (imports.settle_stalled).
    heartbeat = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.record_type} {self.filename} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def batch(self) -> str:
        return str(self.id)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    def problem_rows(self) -> list[dict[str, Any]]:
        return [{"row": row, "column": column, "reason": reason} for row, column, reason in self.problems]
