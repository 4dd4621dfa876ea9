"""``manage.py reminders [--dry-run] [--today YYYY-MM-DD]``: email the reminders that are due.

Meant for a daily timer (cron or systemd); safe to run as often as wanted (docs/reports.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date

from tathmini.reports import reminders


class Command(BaseCommand):
    help = "Email reminders of returns and manual indicator values falling due or overdue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what would be sent; send and record nothing")
        parser.add_argument("--today", help="act as if today were this date (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = parse_date(options["today"])
            except ValueError:
                today = None
            if today is None:
                raise CommandError(f"--today {options['today']!r} is not a date (YYYY-MM-DD)")
        sent = reminders.run(today, dry_run=options["dry_run"])
        verb = "would send" if options["dry_run"] else "sent"
        for reminder, recipient in sent:
            self.stdout.write(f"{verb} {reminder.key} (due {reminder.due}) to {recipient}")
        self.stdout.write(f"{len(sent)} reminder(s) {verb}")
