"""Data sources: the datasets indicator definitions may read, each a model with named fields.

A definition never names a table or a column: it names a source and the source's fields (paths
through foreign keys, ``institution__category``). Registering a dataset here is the only code a
new kind of indicator input needs; the definitions themselves are data (definitions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Source:
    key: str
    model: type[models.Model]
    label: Any  # translatable
    # Disaggregations the source supports: dimension → field path whose value names the group.
    dimensions: dict[str, str] = field(default_factory=dict)
    # Path to the Agency org unit the record belongs to, if any (the "org_unit" dimension).
    org_unit: str | None = None
    # Field paths a definition may read (filters, aggregates, ordering, entities). Paths not listed
    # are refused with a clear error, so a typo cannot silently read something else.
    fields: tuple[str, ...] = ()


_SOURCES: dict[str, Source] = {}


def register(*sources: Source) -> None:
    for source in sources:
        _SOURCES[source.key] = source


def get(key: str) -> Source | None:
    return _SOURCES.get(key)


def all_sources() -> list[Source]:
    return list(_SOURCES.values())


def _institution_dims(prefix: str) -> dict[str, str]:
    p = f"{prefix}__" if prefix else ""
    return {"category": f"{p}category", "region": f"{p}region__code"}


def register_defaults() -> None:
    from tathmini.feedback import models as fb
    from tathmini.monitor import models as mon
    from tathmini.registry import models as reg
    from tathmini.services import models as srv

    inst = ("established_on", "dissolved_on", "category", "region__code", "code")

    def via(prefix: str) -> tuple[str, ...]:
        return tuple(f"{prefix}__{f}" for f in inst)

    register(
        Source("institutions", reg.Institution, _("Public institutions"), _institution_dims(""), fields=("id", *inst)),
        Source(
            "eservices",
            reg.EService,
            _("e-Services"),
            _institution_dims("institution"),
            fields=(
                "id",
                "code",
                "institution",
                "life_event",
                "channels",
                "launched_on",
                "retired_on",
                "url",
                *via("institution"),
            ),
        ),
        Source(
            "shared_resources",
            reg.SharedResource,
            _("Shared resources"),
            fields=("id", "code", "kind", "offered_from", "offered_to"),
        ),
        Source(
            "resource_use",
            reg.ResourceSubscription,
            _("Shared-resource use"),
            _institution_dims("institution"),
            fields=(
                "id",
                "institution",
                "resource",
                "started_on",
                "ended_on",
                "resource__kind",
                "resource__offered_from",
                "resource__offered_to",
                *via("institution"),
            ),
        ),
        Source(
            "workforce_returns",
            reg.WorkforceReturn,
            _("ICT workforce returns"),
            _institution_dims("institution"),
            fields=("id", "institution", "as_of", "ict_staff", "qualified_ict_staff", *via("institution")),
        ),
        Source(
            "initiatives",
            reg.Initiative,
            _("e-Government initiatives"),
            _institution_dims("institution"),
            fields=(
                "id",
                "institution",
                "status",
                "start_on",
                "end_on",
                "budget",
                "review_status",
                "reviewed_on",
                *via("institution"),
            ),
        ),
        Source(
            "assessments",
            reg.ComplianceAssessment,
            _("Compliance assessments"),
            _institution_dims("institution"),
            fields=("id", "institution", "assessed_on", "score", "pass_mark", *via("institution")),
        ),
        Source(
            "usage_returns",
            reg.UsageReturn,
            _("e-Service usage returns"),
            _institution_dims("eservice__institution"),
            fields=(
                "id",
                "eservice",
                "period_start",
                "period_end",
                "transactions",
                "users",
                "eservice__institution",
                *via("eservice__institution"),
            ),
        ),
        Source(
            "engagements",
            srv.Engagement,
            _("Advisory and support engagements"),
            _institution_dims("institution"),
            org_unit="org_unit",
            fields=(
                "id",
                "institution",
                "kind",
                "service",
                "status",
                "requested_on",
                "started_on",
                "completed_on",
                "fee",
                "satisfaction",
                "org_unit",
                *via("institution"),
            ),
        ),
        Source(
            "budget_lines",
            srv.BudgetLine,
            _("Budget lines"),
            org_unit="org_unit",
            fields=("id", "fiscal_year", "category", "amount", "org_unit"),
        ),
        Source("revenue", srv.Revenue, _("Revenue"), fields=("id", "received_on", "source", "amount", "payer")),
        Source(
            "posts",
            srv.PostRecord,
            _("Establishment (posts)"),
            org_unit="org_unit",
            fields=("id", "org_unit", "position", "as_of", "approved", "filled"),
        ),
        Source(
            "complaints",
            fb.Complaint,
            _("Complaints"),
            _institution_dims("institution"),
            fields=(
                "id",
                "about",
                "institution",
                "eservice",
                "category",
                "subject",
                "channel",
                "status",
                "received_at",
                "resolved_at",
                *via("institution"),
            ),
        ),
        Source(
            "information_requests",
            fb.InformationRequest,
            _("Information requests"),
            _institution_dims("institution"),
            fields=("id", "institution", "status", "submitted_at", "answered_at", "deadline", *via("institution")),
        ),
        Source(
            "survey_responses",
            fb.SurveyResponse,
            _("Survey responses"),
            _institution_dims("institution"),
            fields=(
                "id",
                "survey",
                "survey__kind",
                "survey__code",
                "respondent",
                "institution",
                "score",
                "submitted_at",
                *via("institution"),
            ),
        ),
        # Seconds each e-service was monitored and up, per day, kept from the monitor's flips
        # (tathmini/monitor/availability.py): R01 sums them over the days of a period.
        Source(
            "availability",
            mon.MonitorDay,
            _("e-Service availability (per day)"),
            _institution_dims("eservice__institution"),
            fields=(
                "id",
                "eservice",
                "day",
                "seconds_monitored",
                "seconds_up",
                "eservice__launched_on",
                "eservice__retired_on",
                "eservice__institution",
                *via("eservice__institution"),
            ),
        ),
    )
