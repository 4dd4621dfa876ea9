from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitor", "0002_pack_hours_into_days"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="check",
            name="monitor_check_due",
        ),
        migrations.AddField(
            model_name="check",
            name="illustrative",
            field=models.BooleanField(default=False, verbose_name="illustrative"),
        ),
        migrations.AddIndex(
            model_name="check",
            index=models.Index(
                condition=models.Q(("active", True), ("illustrative", False), ("paused", False)),
                fields=["next_due"],
                name="monitor_check_due",
            ),
        ),
    ]
