"""An indicator's baselines and targets as formsets, and their one audited write.

The M&E officer's page (``measure.views.targets_edit``) and the admin's inlines use the same
formsets, and both write through ``save``, which appends every created, changed and deleted row
to the audit trail. Ratings read the targets when they are shown (``measure.selectors``), so
nothing stored has to be recomputed after a change.

A save from a stale copy is refused (optimistic concurrency). Each existing row's form carries
the row's version as it was shown (``core.versions``) and, as Django's hidden initial values, the
values it was shown with, so the formset knows which rows the person changed. Validation runs in
the transaction that writes: it locks the indicator, so two saves of one indicator's rows take
turns, then locks its rows and refuses each row the person changed or deleted whose version is no
longer the one shown. Then nothing at all is written; each refused row says who changed it, when,
and what it holds now, and keeps the person's entry, now compared with the current version, so
saving again puts it in place of the current value knowingly. A row the person left alone is not
written, so another officer's change to it stands.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.forms.formsets import DELETION_FIELD_NAME
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tathmini.core import audit, versions
from tathmini.core.models import AuditEvent
from tathmini.strategy.models import Baseline, FiscalYear, Indicator, OrgUnit, Target


class VersionField(forms.CharField):
    """The version of the row as the form showed it: it tells what the entries were based on, and
    is never itself a change to the row."""

    widget = forms.HiddenInput

    def has_changed(self, initial: Any, data: Any) -> bool:
        return False


class RowForm(forms.ModelForm):
    """One baseline or target; ``loaded_version`` is the version of the row the form shows."""

    loaded_version = VersionField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial[versions.FIELD] = versions.of(self.instance)
            # 55, not the stored 55.0000: the same value, as the person typed it.
            self.initial["value"] = audit.plain(self.instance.value)
        for name, field in self.fields.items():
            # The values as shown travel with the form: "changed" means changed by this person.
            field.show_hidden_initial = name != versions.FIELD
        if "org_unit" in self.fields:
            org_unit = self.fields["org_unit"]
            org_unit.empty_label = gettext_lazy("The whole Agency")  # type: ignore[attr-defined]
            org_unit.queryset = OrgUnit.objects.order_by("code")  # type: ignore[attr-defined]

    def validate_unique(self) -> None:
        """Not row by row against the stored rows: the formset checks the rows as they will be
        once saved, all together and under lock (``RowFormSet.clean``)."""


class BaselineForm(RowForm):
    class Meta:
        model = Baseline
        fields = ["fiscal_year", "org_unit", "value"]


class TargetForm(RowForm):
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("quarter"),
        choices=[("", gettext_lazy("The whole year")), *((str(n), f"Q{n}") for n in range(1, 5))],
        coerce=int,
        empty_value=None,
        required=False,
    )

    class Meta:
        model = Target
        fields = ["fiscal_year", "quarter", "org_unit", "value"]


Row = Baseline | Target


def _key(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


class RowFormSet(forms.BaseInlineFormSet):
    """The rows of one indicator; ``slot_fields`` say which slot a row fills (one row per slot)."""

    slot_fields: tuple[str, ...] = ()
    duplicate_message: Any = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.data, QueryDict):
            self.data = self.data.copy()  # refused rows get the current version and values
        self.rows = cast(type[Row], self.model)
        self.stored: dict[int, Row] = {}  # the indicator's rows, locked by clean()
        self.refused = 0

    def add_fields(self, form: Any, index: int | None) -> None:
        super().add_fields(form, index)
        if self.instance.plan_id and "fiscal_year" in form.fields:
            form.fields["fiscal_year"].queryset = FiscalYear.objects.filter(plan_id=self.instance.plan_id)

    def describe(self, row: Row) -> str:
        """A stored row as a person reads it: "2013/14 Q2, the whole Agency: 55"."""
        year = str(row.fiscal_year)
        quarter = getattr(row, "quarter", None)
        where = str(row.org_unit) if row.org_unit_id else _("the whole Agency")
        slot = f"{year} Q{quarter}" if quarter else year
        return f"{slot}, {where}: {audit.plain(row.value)}"

    def _deleting(self, form: forms.BaseForm) -> bool:
        return bool(self.can_delete and getattr(form, "cleaned_data", {}).get(DELETION_FIELD_NAME))

    def _posted_pk(self, form: forms.BaseForm) -> int | None:
        raw = form.data.get(form.add_prefix(self.rows._meta.pk.name), "")
        return int(raw) if str(raw).isdigit() else None

    def _rebase(self, form: forms.BaseForm, current: Row, *, keep_entry: bool) -> None:
        """Base the form on the current row: its version and the values an entry is compared with
        and, unless the person's entry is kept, the values it shows."""
        data = cast(QueryDict, self.data)
        data[form.add_prefix(versions.FIELD)] = versions.of(current)
        for name in (*self.slot_fields, "value"):
            value = getattr(current, name)
            text = "" if value is None else str(_key(value))
            data[form.add_initial_prefix(name)] = text
            if not keep_entry:
                data[form.add_prefix(name)] = text

    def _refuse(self, form: forms.BaseForm, pk: int | None, current: Row | None, *, deleting: bool) -> None:
        self.refused += 1
        values = {"by": versions.StaleCopy(self.rows, pk, current).by()}
        if current is None:
            message = _(
                "Not saved: this row was deleted %(by)s, after you opened this page. Reload the page to "
                "start from the rows as they are now."
            )
        else:
            values["current"] = self.describe(current)
            if deleting:
                message = _(
                    "Not deleted: this row was changed %(by)s, after you opened this page; it now reads "
                    "%(current)s. Save again to delete it as it is now."
                )
            else:
                message = _(
                    "Not saved: this row was changed %(by)s, after you opened this page; it now reads "
                    "%(current)s. Your entry is kept: save again to put it in place of the current value."
                )
            self._rebase(form, current, keep_entry=True)
        form.add_error(None, message % values)

    def clean(self) -> None:
        # Not super().clean(): the model formset's only check there is uniqueness row by row,
        # which the final-state check below replaces.
        if not self.is_bound:
            return
        if self.instance.pk is not None:
            if not transaction.get_connection().in_atomic_block:
                raise RuntimeError("validate the rows in the transaction that saves them")
            list(Indicator.objects.select_for_update().filter(pk=self.instance.pk).order_by().values_list("pk"))
            # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the org unit's join.
            rows = self.rows._default_manager.select_for_update(of=("self",)).filter(indicator_id=self.instance.pk)
            self.stored = {row.pk: row for row in rows.select_related("fiscal_year", "org_unit").order_by("pk")}
        # The slot each row fills once saved: a row the person left alone keeps its stored slot.
        slots: list[tuple[forms.BaseForm, tuple[Any, ...]]] = []
        shown: set[int] = set()
        for form in self.initial_forms:
            pk = self._posted_pk(form)
            current = self.stored.get(pk) if pk is not None else None
            deleting = self._deleting(form)
            # The primary key always "changes" for a row that is gone: only the entries count.
            touched = deleting or any(name != self.rows._meta.pk.name for name in form.changed_data)
            if pk is not None:
                shown.add(pk)
            expected = form.data.get(form.add_prefix(versions.FIELD)) or None
            if current is None:
                if touched:
                    self._refuse(form, pk, None, deleting=deleting)
                else:
                    form.errors.pop(self.rows._meta.pk.name, None)  # gone, and not this person's to write
                continue
            if expected is not None and versions.of(current) != expected:
                if touched:
                    self._refuse(form, pk, current, deleting=deleting)
                    continue
                self._rebase(form, current, keep_entry=False)
            if deleting:
                continue
            if touched:
                if form.is_valid():
                    slots.append((form, tuple(_key(form.cleaned_data.get(n)) for n in self.slot_fields)))
            else:
                slots.append((form, tuple(_key(getattr(current, n)) for n in self.slot_fields)))
        for form in self.extra_forms:
            if form.has_changed() and not self._deleting(form) and form.is_valid():
                slots.append((form, tuple(_key(form.cleaned_data.get(n)) for n in self.slot_fields)))
        self._check_slots(slots, added={pk: row for pk, row in self.stored.items() if pk not in shown})
        if self.refused:
            raise ValidationError(
                _(
                    "Nothing was saved: rows you changed were changed by someone else after you opened "
                    "this page. Each is marked below with who changed it and its current value."
                )
            )

    def _check_slots(self, slots: list[tuple[forms.BaseForm, tuple[Any, ...]]], added: dict[int, Any]) -> None:
        taken_by_added = {tuple(_key(getattr(row, n)) for n in self.slot_fields): row for row in added.values()}
        taken: set[tuple[Any, ...]] = set()
        for form, slot in slots:
            year = form.cleaned_data.get("fiscal_year") if form.is_bound and hasattr(form, "cleaned_data") else None
            if isinstance(year, FiscalYear) and year.plan_id != self.instance.plan_id:
                form.add_error("fiscal_year", _("Choose one of the fiscal years of this indicator's plan."))
                continue
            if slot in taken_by_added:
                row = taken_by_added[slot]
                self.refused += 1
                stale = versions.StaleCopy(self.rows, row.pk, row)
                form.add_error(
                    None,
                    _(
                        "Not saved: a row for the same slot was added %(by)s, after you opened this page: "
                        "%(current)s. Change that row instead."
                    )
                    % {"by": stale.by(), "current": self.describe(row)},
                )
            elif slot in taken:
                form.add_error(None, str(self.duplicate_message))
            else:
                taken.add(slot)


class BaselineFormSet(RowFormSet):
    slot_fields = ("org_unit",)
    duplicate_message = gettext_lazy(
        "Another row is already the baseline for this org unit: there is one baseline for the whole "
        "Agency and at most one for each org unit."
    )


class TargetFormSet(RowFormSet):
    slot_fields = ("fiscal_year", "quarter", "org_unit")
    duplicate_message = gettext_lazy("Another row already gives the target for this fiscal year, quarter and org unit.")


BaselineRows = forms.inlineformset_factory(
    Indicator, Baseline, form=BaselineForm, formset=BaselineFormSet, extra=0, can_delete=True
)
TargetRows = forms.inlineformset_factory(
    Indicator, Target, form=TargetForm, formset=TargetFormSet, extra=0, can_delete=True
)


def formsets(indicator: Indicator, data: Any = None) -> tuple[RowFormSet, RowFormSet]:
    """The page's two formsets. Unbound, they end with empty rows to add: a whole-Agency baseline
    if there is none, and a year target for each of the plan's years that has none."""
    years = list(indicator.plan.fiscal_years.all())
    if data is not None:
        return (
            cast(RowFormSet, BaselineRows(data, instance=indicator, prefix="baselines")),
            cast(RowFormSet, TargetRows(data, instance=indicator, prefix="targets")),
        )
    has_agency_baseline = indicator.baselines.filter(org_unit__isnull=True).exists()
    with_target = set(
        indicator.targets.filter(quarter__isnull=True, org_unit__isnull=True).values_list("fiscal_year_id", flat=True)
    )
    baseline_rows = [] if has_agency_baseline or not years else [{"fiscal_year": years[0].pk}]
    target_rows = [{"fiscal_year": fy.pk} for fy in years if fy.pk not in with_target]
    baselines = cast(RowFormSet, BaselineRows(instance=indicator, prefix="baselines", initial=baseline_rows))
    targets = cast(RowFormSet, TargetRows(instance=indicator, prefix="targets", initial=target_rows))
    baselines.extra = len(baseline_rows) or 1
    targets.extra = len(target_rows) + 1
    return baselines, targets


@transaction.atomic
def save(formset: RowFormSet, *, actor: Any, channel: str = AuditEvent.Channel.WEB) -> list[AuditEvent]:
    """Write a validated formset's rows and audit each change; returns the audit events.

    Validation (``is_valid``) must have run in the same transaction: it holds the locks and the
    stored rows that the audit trail's old values come from."""
    formset.save(commit=False)
    events: list[AuditEvent] = []
    for obj in formset.deleted_objects:
        stored = formset.stored.get(obj.pk, obj)
        changes = {name: [value, None] for name, value in audit.snapshot(stored).items()}
        events.append(audit.event(AuditEvent.Action.DELETE, stored, actor=actor, channel=channel, changes=changes))
        obj.delete()
    for obj, _names in formset.changed_objects:
        before = audit.snapshot(formset.stored[obj.pk])
        obj.save()
        changes = audit.diff(before, audit.snapshot(obj))
        if changes:
            events.append(audit.event(AuditEvent.Action.UPDATE, obj, actor=actor, channel=channel, changes=changes))
    for obj in formset.new_objects:
        obj.save()
        changes = audit.diff({}, audit.snapshot(obj))
        events.append(audit.event(AuditEvent.Action.CREATE, obj, actor=actor, channel=channel, changes=changes))
    AuditEvent.objects.bulk_create(events)
    return events
