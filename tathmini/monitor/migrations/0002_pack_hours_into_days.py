"""The hourly rollups move into the day rows: one row per e-service and UTC day holds its 24 hours
(``MonitorDay.hours``), instead of a row per check and hour. Existing rollups are carried over,
and back again on a reverse migration."""

from datetime import UTC, datetime, time, timedelta
from itertools import groupby

from django.db import migrations, models

BATCH = 5000


def pack(apps, schema_editor):
    HourRollup = apps.get_model("monitor", "HourRollup")
    MonitorDay = apps.get_model("monitor", "MonitorDay")
    db = schema_editor.connection.alias
    rows = (
        HourRollup.objects.using(db)
        .order_by("owner__eservice_id", "hour")
        .values_list("owner__eservice_id", "hour", "probes", "failures", "answered", "p50_ms", "p95_ms", "max_ms")
        .iterator(chunk_size=BATCH)
    )
    for eservice_id, hours in groupby(rows, key=lambda r: r[0]):
        days: dict = {}
        for _e, hour, *slot in hours:
            hour = hour.astimezone(UTC)
            days.setdefault(hour.date(), [None] * 24)[hour.hour] = list(slot)
        existing = {d.day: d for d in MonitorDay.objects.using(db).filter(eservice_id=eservice_id, day__in=list(days))}
        create = []
        for day, slots in days.items():
            row = existing.get(day)
            if row is None:
                create.append(MonitorDay(eservice_id=eservice_id, day=day, seconds_monitored=0, seconds_up=0, hours=slots))
            else:
                row.hours = slots
        MonitorDay.objects.using(db).bulk_update(list(existing.values()), ["hours"], batch_size=500)
        MonitorDay.objects.using(db).bulk_create(create, batch_size=500)


def unpack(apps, schema_editor):
    HourRollup = apps.get_model("monitor", "HourRollup")
    MonitorDay = apps.get_model("monitor", "MonitorDay")
    Check = apps.get_model("monitor", "Check")
    db = schema_editor.connection.alias
    owners = dict(Check.objects.using(db).values_list("eservice_id", "pk"))
    days = MonitorDay.objects.using(db).filter(hours__isnull=False).order_by("pk")
    out = []
    for eservice_id, day, slots in days.values_list("eservice_id", "day", "hours").iterator(chunk_size=BATCH):
        if eservice_id not in owners:
            continue
        start = datetime.combine(day, time.min, tzinfo=UTC)
        for h, slot in enumerate(slots):
            if slot is not None:
                probes, failures, answered, p50, p95, slowest = slot
                out.append(
                    HourRollup(
                        owner_id=owners[eservice_id],
                        hour=start + timedelta(hours=h),
                        probes=probes,
                        failures=failures,
                        answered=answered,
                        p50_ms=p50,
                        p95_ms=p95,
                        max_ms=slowest,
                    )
                )
        if len(out) >= BATCH:
            HourRollup.objects.using(db).bulk_create(out)
            out = []
    HourRollup.objects.using(db).bulk_create(out)
    MonitorDay.objects.using(db).filter(seconds_monitored=0).delete()  # rows that held only hours


class Migration(migrations.Migration):
    dependencies = [
        ("monitor", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="monitorday",
            name="hours",
            field=models.JSONField(blank=True, default=None, null=True, verbose_name="hourly probe figures"),
        ),
        migrations.RunPython(pack, unpack),
        migrations.DeleteModel(
            name="HourRollup",
        ),
    ]
