"""Manual and qualitative indicator values: the workflow, who may do what, and how an approved
value reaches the stored indicator values. Every write of a ``ManualValue`` goes through the
``manual_value_*`` services here; each checks who may do it and appends to the audit trail.

The workflow::

    draft ─submit─▶ submitted ─approve─▶ approved ─(a correction is approved)─▶ superseded
      ▲  ▲              │
      │  └─ returned ◀──┘ return (with a reason)
      edit

Who may do what:

- Enter a value, edit it while it is a draft or returned, submit it, delete a draft or returned
  value: M&E officers and Agency officers, for any indicator of the current plan; other staff
  (unit and department heads) for the indicators their unit answers for: their org unit is the
  indicator's responsible unit or a unit below it.
- Submitting needs evidence: a file or a link.
- Return (a reason is required) and approve: M&E officers only, and never for a value they wrote.
  The creator, everyone who changed the value's content and the submitter are its authors; no
  author reviews it. So nobody approves their own submission, and the creator never approves.
- Approved values are locked: no edit, no delete, no resubmission. A correction is a new value for
  the same indicator, period and org unit; when it is approved, the value it corrects becomes
  *superseded* (still locked and shown, linked to what replaced it). There is at most one approved
  value per indicator, period and org unit (a database constraint).
- Every creation, change, transition and deletion is an audit event (channel web) whose changes
  carry the status old → new and, for a return, the reason.

Feeding the engine: for an indicator without a definition (no data source yet) the approved value
*is* the indicator's value. It is written to ``measure.Value``: the whole Agency as dimension "",
a unit as dimension "org_unit" with group = the unit's id; numerator = the value, no denominator,
extras ``{"manual": true, "manual_value": id, "narrative": …}``. A refresh never touches an
indicator without a definition (``engine.refresh_indicator`` returns before deleting anything),
so these rows stay. Nothing is rolled up: a unit's value does not add to its department's, nor a
quarter's to its year's; each period and unit is reported on its own. For an indicator that has a
definition the computed value stands: an approved manual value is shown beside it as context and
never replaces it. If an indicator gets a definition later, its next refresh replaces the manual
rows with computed ones; the manual values themselves stay, beside the computed values.
"""

from __future__ import annotations

import logging
import secrets
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tathmini.accounts.roles import Role
from tathmini.core import audit
from tathmini.core import periods as P
from tathmini.core.models import AuditEvent
from tathmini.core.safeinput import problem, shown
from tathmini.measure import engine
from tathmini.measure.models import Definition, ManualValue, Value
from tathmini.strategy.models import Indicator, OrgUnit, Plan
from tathmini.strategy.selectors import current_plan

log = logging.getLogger(__name__)

Status = ManualValue.Status

# Who opens the manual-value pages at all; focal persons and administrators do not.
READERS = (Role.ME_OFFICER, Role.AGENCY_OFFICER, Role.MANAGER)
ENTER_ANY = (Role.ME_OFFICER, Role.AGENCY_OFFICER)
REVIEWERS = (Role.ME_OFFICER,)
EDITABLE = (Status.DRAFT, Status.RETURNED)

# What the audit trail records of the value's content (the stored file's random name is left out:
# the name it was uploaded under is what a reader recognises).
CONTENT_FIELDS = ("indicator", "period", "org_unit", "value", "narrative", "evidence_name", "evidence_link")

EVIDENCE_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
}
_SIGNATURES = {".pdf": b"%PDF-", ".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}
_OFFICE_PARTS = {".docx": "word/", ".xlsx": "xl/"}


@dataclass
class Entry:
    """What a person types into the form: the content of a manual value."""

    indicator: Indicator
    period: str
    org_unit: OrgUnit | None = None
    value: Decimal | None = None
    narrative: str = ""
    evidence_link: str = ""
    evidence_file: Any = None  # an uploaded file, or None to keep the current one
    remove_evidence: bool = False


# --- Who may do what -------------------------------------------------------------------------------
def _has(user: Any, roles: tuple[str, ...]) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_role(*roles)))


def _unit_chain(user: Any) -> set[int]:
    """The user's org unit and every unit above it: the responsible units the user answers for."""
    cached: set[int] | None = getattr(user, "_manual_unit_chain", None)
    if cached is not None:
        return cached
    chain: set[int] = set()
    if user.org_unit_id:
        parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
        node: int | None = user.org_unit_id
        while node is not None and node not in chain:
            chain.add(node)
            node = parents.get(node)
    user._manual_unit_chain = chain
    return chain


def may_enter(user: Any, indicator: Indicator) -> bool:
    if _has(user, ENTER_ANY):
        return True
    if not _has(user, READERS):
        return False
    return indicator.responsible_unit_id is not None and indicator.responsible_unit_id in _unit_chain(user)


def enterable_indicators(user: Any, plan: Plan) -> QuerySet[Indicator]:
    indicators = plan.indicators.order_by("order", "code")
    if _has(user, ENTER_ANY):
        return indicators
    if not _has(user, READERS):
        return indicators.none()
    return indicators.filter(responsible_unit_id__in=_unit_chain(user))


def may_create_any(user: Any) -> bool:
    plan = current_plan()
    return plan is not None and enterable_indicators(user, plan).exists()


def may_edit(user: Any, mv: ManualValue) -> bool:
    """Edit, submit or delete: a draft or returned value of an indicator the user enters."""
    return mv.status in EDITABLE and may_enter(user, mv.indicator)


def is_author(user: Any, mv: ManualValue) -> bool:
    return mv.authors.filter(pk=user.pk).exists()


def may_review(user: Any, mv: ManualValue) -> bool:
    return mv.status == Status.SUBMITTED and _has(user, REVIEWERS) and not is_author(user, mv)


@dataclass(frozen=True)
class Actions:
    edit: bool
    review: bool
    correct: bool  # start a new value that, once approved, replaces this approved one


def actions_for(user: Any, mv: ManualValue) -> Actions:
    return Actions(
        edit=may_edit(user, mv),
        review=may_review(user, mv),
        correct=mv.status == Status.APPROVED and may_enter(user, mv.indicator),
    )


def _require_enter(user: Any, indicator: Indicator) -> None:
    if not may_enter(user, indicator):
        raise PermissionDenied(_("You may not enter values for %(indicator)s.") % {"indicator": indicator.code})


def why_not_editable(mv: ManualValue) -> str:
    """Why a value cannot be changed now ("" when it can)."""
    if mv.is_locked:
        return _("An approved value is locked. To correct it, enter a new value; once approved, it replaces this one.")
    if mv.status not in EDITABLE:
        return _("This value is awaiting review; it can be changed again only if it is returned.")
    return ""


def _require_editable(mv: ManualValue) -> None:
    reason = why_not_editable(mv)
    if reason:
        raise ValidationError(reason)


def _require_review(user: Any, mv: ManualValue) -> None:
    if not _has(user, REVIEWERS):
        raise PermissionDenied(_("Only an M&E officer may return or approve a value."))
    if mv.status != Status.SUBMITTED:
        if mv.is_locked:
            raise ValidationError(_("This value is already approved and locked."))
        raise ValidationError(_("Only a submitted value can be returned or approved."))
    if is_author(user, mv):
        raise PermissionDenied(
            _("You entered, changed or submitted this value, so another M&E officer must review it.")
        )


# --- Periods and evidence -------------------------------------------------------------------------
def plan_period(plan: Plan, code: str) -> P.Period:
    """The period ``code`` names, if it is one of the plan's years, quarters or months."""
    try:
        period = P.parse(code)
    except P.PeriodError:
        raise ValidationError(
            {"period": _("“%(code)s” is not a period (use 2013/14, 2013/14-Q1 or 2014-01).") % {"code": code}}
        ) from None
    if period not in engine.plan_periods(plan):
        raise ValidationError({"period": _("%(code)s is outside the plan's years.") % {"code": code}})
    return period


def period_choices(plan: Plan) -> list[tuple[str, list[tuple[str, str]]]]:
    """The plan's periods for a select, one group per fiscal year: the year, its quarters, its months."""
    groups = []
    for fy_code in plan.fiscal_years.values_list("code", flat=True):
        fy = P.parse(fy_code)
        options = [(fy.code, _("%(year)s, the whole year") % {"year": fy.code})]
        options += [(q.code, f"{q.code} ({_month(q.start)}–{_month(q.end)})") for q in P.quarters_of(fy)]
        options += [(m.code, f"{m.code} ({date_format(m.start, 'F Y')})") for m in P.months_of(fy)]
        groups.append((fy.code, options))
    return groups


def _month(day: date) -> str:
    return date_format(day, "M")


def validate_evidence(upload: Any) -> str:
    """Refuse a file of another type, too large, or whose content is not what its name says;
    return the extension it is stored under."""
    name = PurePath(upload.name or "").name
    reason = problem(name)
    if reason is not None:  # "report" + U+202E + "fdp.exe" is shown as "reportexe.pdf"
        raise ValidationError(
            _("The file name “%(name)s” is refused. %(reason)s") % {"name": shown(name, 100), "reason": reason},
            code="name",
        )
    extension = PurePath(name).suffix.lower()
    if extension not in EVIDENCE_TYPES:
        raise ValidationError(
            _("“%(name)s” is not accepted as evidence: use a PDF, PNG, JPG, DOCX, XLSX or CSV file.") % {"name": name},
            code="type",
        )
    limit = settings.MANUAL_EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; an evidence file may be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="size",
        )
    if not _content_matches(upload, extension):
        raise ValidationError(
            _("“%(name)s” is not a %(type)s file inside, whatever its name says.")
            % {"name": name, "type": extension[1:].upper()},
            code="content",
        )
    return ".jpg" if extension == ".jpeg" else extension


def _content_matches(upload: Any, extension: str) -> bool:
    # The name alone would let a web page or a program through under a harmless extension.
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if extension in _OFFICE_PARTS:
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            upload.seek(0)
        return "[Content_Types].xml" in names and any(n.startswith(_OFFICE_PARTS[extension]) for n in names)
    if extension == ".csv":
        return b"\x00" not in head
    return bool(head.startswith(_SIGNATURES[extension]))


def _delete_file_later(name: str | None) -> None:
    if name:
        transaction.on_commit(partial(default_storage.delete, name))


# --- Writes ---------------------------------------------------------------------------------------
def _content(mv: ManualValue) -> dict[str, Any]:
    snapshot = audit.snapshot(mv)
    content = {name: snapshot[name] for name in CONTENT_FIELDS}
    # 72.5 typed and 72.500000 read back are the same value: no change to record.
    content["value"] = None if mv.value is None else format(Decimal(mv.value).normalize(), "f")
    return content


def _audit(action: str, mv: ManualValue, actor: Any, changes: dict[str, Any]) -> None:
    audit.event(action, mv, actor=actor, channel=AuditEvent.Channel.WEB, changes=changes).save()


def _fresh(mv: ManualValue) -> ManualValue:
    """The stored row, locked for this transaction: a decision is taken on the current status,
    not on what a page showed a minute ago."""
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the org unit's outer join.
    return (
        ManualValue.objects.select_for_update(of=("self",)).select_related("indicator__plan", "org_unit").get(pk=mv.pk)
    )


def _apply(mv: ManualValue, entry: Entry) -> str:
    """Write the entry into ``mv``; returns the name of a newly stored evidence file ("" if none).
    Everything is validated before a file is stored."""
    period = plan_period(entry.indicator.plan, entry.period)
    narrative = (entry.narrative or "").strip()
    if entry.value is None and not narrative:
        raise ValidationError(_("Give a value, a narrative, or both."))
    extension = validate_evidence(entry.evidence_file) if entry.evidence_file is not None else ""
    mv.indicator = entry.indicator
    mv.period, mv.period_kind, mv.period_start, mv.period_end = period.code, period.kind, period.start, period.end
    mv.org_unit = entry.org_unit
    mv.value = entry.value
    mv.narrative = narrative
    mv.evidence_link = entry.evidence_link or ""
    if entry.remove_evidence or entry.evidence_file is not None:
        mv.evidence_file = ""
        mv.evidence_name = ""
    if entry.evidence_file is None:
        return ""
    mv.evidence_name = PurePath(entry.evidence_file.name).name[:255]
    # A random stored name: the uploaded name may say more than it should, or clash with another.
    mv.evidence_file.save(f"{secrets.token_hex(16)}{extension}", entry.evidence_file, save=False)
    return mv.evidence_file.name or ""


def _save_with_file(mv: ManualValue, new_file: str) -> None:
    try:
        mv.save()
    except Exception:
        if new_file:
            default_storage.delete(new_file)
        raise


@transaction.atomic
def manual_value_create(entry: Entry, *, actor: Any) -> ManualValue:
    _require_enter(actor, entry.indicator)
    if not entry.indicator.plan.is_current:
        raise ValidationError({"indicator": _("Values are entered for the current plan's indicators only.")})
    mv = ManualValue(created_by=actor)
    new_file = _apply(mv, entry)
    _save_with_file(mv, new_file)
    mv.authors.add(actor)
    content = _content(mv)
    changes = {name: [None, value] for name, value in content.items() if value not in (None, "")}
    _audit(AuditEvent.Action.CREATE, mv, actor, {**changes, "status": [None, mv.status]})
    return mv


@transaction.atomic
def manual_value_update(mv: ManualValue, entry: Entry, *, actor: Any) -> ManualValue:
    mv = _fresh(mv)
    _require_enter(actor, mv.indicator)
    _require_editable(mv)
    if entry.indicator.pk != mv.indicator_id:
        _require_enter(actor, entry.indicator)
    before = _content(mv)
    old_file = mv.evidence_file.name
    new_file = _apply(mv, entry)
    _save_with_file(mv, new_file)
    if old_file and mv.evidence_file.name != old_file:
        _delete_file_later(old_file)
    changes = audit.diff(before, _content(mv))
    if changes:
        mv.authors.add(actor)
        _audit(AuditEvent.Action.UPDATE, mv, actor, changes)
    return mv


@transaction.atomic
def manual_value_delete(mv: ManualValue, *, actor: Any) -> None:
    mv = _fresh(mv)
    _require_enter(actor, mv.indicator)
    _require_editable(mv)
    content = {**_content(mv), "status": mv.status}
    event = audit.event(
        AuditEvent.Action.DELETE,
        mv,
        actor=actor,
        channel=AuditEvent.Channel.WEB,
        changes={name: [value, None] for name, value in content.items() if value not in (None, "")},
    )
    _delete_file_later(mv.evidence_file.name)
    mv.delete()
    event.save()


@transaction.atomic
def manual_value_submit(mv: ManualValue, *, actor: Any) -> ManualValue:
    mv = _fresh(mv)
    _require_enter(actor, mv.indicator)
    _require_editable(mv)
    if not mv.evidence_file and not mv.evidence_link:
        raise ValidationError(_("Attach evidence, a file or a link, before submitting."))
    changes: dict[str, Any] = {"status": [mv.status, Status.SUBMITTED]}
    if mv.return_reason:
        changes["return_reason"] = [mv.return_reason, ""]
    mv.status = Status.SUBMITTED
    mv.return_reason = ""
    mv.submitted_by = actor
    mv.submitted_at = timezone.now()
    mv.save(update_fields=["status", "return_reason", "submitted_by", "submitted_at", "updated_at"])
    mv.authors.add(actor)
    _audit(AuditEvent.Action.UPDATE, mv, actor, changes)
    return mv


@transaction.atomic
def manual_value_return(mv: ManualValue, *, actor: Any, reason: str) -> ManualValue:
    mv = _fresh(mv)
    _require_review(actor, mv)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why it is returned: whoever entered it needs to know what to fix.")})
    mv.status = Status.RETURNED
    mv.return_reason = reason
    mv.reviewed_by = actor
    mv.reviewed_at = timezone.now()
    mv.save(update_fields=["status", "return_reason", "reviewed_by", "reviewed_at", "updated_at"])
    _audit(
        AuditEvent.Action.UPDATE,
        mv,
        actor,
        {"status": [Status.SUBMITTED, Status.RETURNED], "return_reason": ["", reason]},
    )
    return mv


@transaction.atomic
def manual_value_approve(mv: ManualValue, *, actor: Any) -> ManualValue:
    mv = _fresh(mv)
    _require_review(actor, mv)
    previous = (
        ManualValue.objects.select_for_update()
        .filter(indicator_id=mv.indicator_id, period=mv.period, org_unit_id=mv.org_unit_id, status=Status.APPROVED)
        .first()
    )
    if previous is not None:
        # Before the new one is approved: the constraint allows one approved value at any moment.
        previous.status = Status.SUPERSEDED
        previous.save(update_fields=["status", "updated_at"])
        _audit(AuditEvent.Action.UPDATE, previous, actor, {"status": [Status.APPROVED, Status.SUPERSEDED]})
    mv.status = Status.APPROVED
    mv.reviewed_by = actor
    mv.reviewed_at = timezone.now()
    mv.supersedes = previous
    try:
        with transaction.atomic():
            mv.save(update_fields=["status", "reviewed_by", "reviewed_at", "supersedes", "updated_at"])
    except IntegrityError:
        raise ValidationError(
            _("Another value for this indicator, period and unit was approved at the same moment; reload the page.")
        ) from None
    changes: dict[str, Any] = {"status": [Status.SUBMITTED, Status.APPROVED]}
    if previous is not None:
        changes["supersedes"] = [None, previous.pk]
    _audit(AuditEvent.Action.UPDATE, mv, actor, changes)
    publish(mv)
    return mv


# --- Feeding the engine ---------------------------------------------------------------------------
def has_definition(indicator: Indicator) -> bool:
    return Definition.objects.filter(indicator=indicator).exists()


def _group_of(mv: ManualValue) -> tuple[str, str]:
    return ("", "") if mv.org_unit_id is None else (Value.Dimension.ORG_UNIT, str(mv.org_unit_id))


def publish(mv: ManualValue) -> Value | None:
    """Make an approved value the indicator's stored value for its period and group, when the
    indicator has no definition; otherwise the computed value stands and nothing is written."""
    if mv.status != Status.APPROVED or has_definition(mv.indicator):
        return None
    dimension, group = _group_of(mv)
    stored, _created = Value.objects.update_or_create(
        indicator=mv.indicator,
        period=mv.period,
        dimension=dimension,
        group=group,
        defaults={
            "definition": None,
            "period_kind": mv.period_kind,
            "period_start": mv.period_start,
            "period_end": mv.period_end,
            "numerator": mv.value,
            "denominator": None,
            "value": mv.value,
            "extras": {"manual": True, "manual_value": mv.pk, "narrative": mv.narrative},
            "computed_at": timezone.now(),
        },
    )
    transaction.on_commit(partial(_refresh_composites, mv.indicator_id, mv.period))
    return stored


def composites_reading(indicator: Indicator) -> list[Indicator]:
    """The plan's composite indicators whose current definition takes ``indicator`` as a part."""
    latest: dict[int, Definition] = {}
    for definition in (
        Definition.objects.filter(indicator__plan_id=indicator.plan_id)
        .select_related("indicator__plan", "indicator__responsible_unit")
        .order_by("indicator_id", "-version")
    ):
        latest.setdefault(definition.indicator_id, definition)
    return [
        d.indicator
        for d in latest.values()
        if any(part.get("indicator") == indicator.code for part in d.spec.get("composite", []))
    ]


def _refresh_composites(indicator_id: int, period: str) -> None:
    # After the approval has committed; a failed refresh must not undo it, and is logged.
    if not getattr(settings, "MEASURE_AUTO_REFRESH", True):
        return
    try:
        indicator = Indicator.objects.get(pk=indicator_id)
        for composite in composites_reading(indicator):
            engine.refresh_indicator(composite, [period])
    except Exception:
        log.exception("refresh of the composites reading indicator %s failed", indicator_id)


# --- Reads ----------------------------------------------------------------------------------------
def values_for_display() -> QuerySet[ManualValue]:
    return ManualValue.objects.select_related(
        "indicator", "org_unit", "created_by", "submitted_by", "reviewed_by", "supersedes"
    )


def list_values(
    user: Any,
    *,
    status: str = "",
    indicator: Indicator | None = None,
    period: str = "",
    awaiting_my_review: bool = False,
) -> QuerySet[ManualValue]:
    values = ManualValue.objects.select_related("indicator", "org_unit", "created_by", "submitted_by")
    if status:
        values = values.filter(status=status)
    if indicator is not None:
        values = values.filter(indicator=indicator)
    if period:
        values = values.filter(period=period)
    if awaiting_my_review:
        values = awaiting_review(user, values)
    return values.order_by("-updated_at", "-pk")


def awaiting_review(user: Any, values: QuerySet[ManualValue] | None = None) -> QuerySet[ManualValue]:
    """Submitted values the user may review: an M&E officer's, none of which they wrote."""
    values = ManualValue.objects.all() if values is None else values
    if not _has(user, REVIEWERS):
        return values.none()
    return values.filter(status=Status.SUBMITTED).exclude(authors=user)


def computed_beside(mv: ManualValue) -> Value | None:
    """The stored value of the indicator for the manual value's period and group: the computed
    one when the indicator has a definition, the approved manual one otherwise."""
    dimension, group = _group_of(mv)
    return Value.objects.filter(
        indicator_id=mv.indicator_id, period=mv.period, dimension=dimension, group=group
    ).first()


def approved_values(indicator: Indicator) -> QuerySet[ManualValue]:
    """The indicator's approved manual values (for its page and reports: the narrative beside the
    computed values), by period."""
    return (
        ManualValue.objects.filter(indicator=indicator, status=Status.APPROVED)
        .select_related("org_unit")
        .order_by("period_start", "period_kind", "org_unit__code")
    )
