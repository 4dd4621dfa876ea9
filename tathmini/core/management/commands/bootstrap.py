"""manage.py bootstrap: prepare a fresh (or existing) database for use; safe to run again.

Loads the shipped plan if it is not there yet, the illustrative demo data, and a demo
administrator, then prints how to sign in. Nothing already in the database is overwritten.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from tathmini.accounts.models import User
from tathmini.core import demo, demo_records
from tathmini.monitor import demo as monitor_demo


class Command(BaseCommand):
    help = "Load the shipped plan, the demo data and a demo administrator where missing (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="load the plan only, no demo data or users")
        parser.add_argument(
            "--no-records", action="store_true", help="demo structure and users, without the demo records"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command(
            "plan", "import", str(settings.BASE_DIR / "plans" / "ega-2012-2017.yaml"), "--if-absent", stdout=self.stdout
        )
        if options["no_demo"]:
            return
        demo.load_regions()
        demo.load_org_units()
        users = demo.load_demo_users()
        if not options["no_records"]:
            loaded = demo_records.load_demo_records()
            if loaded:
                self.stdout.write(f"Demo records loaded: {sum(loaded.values()):,} rows (illustrative).")
            # The status page's history of the demo e-services: generated, never probed.
            seeded = monitor_demo.load_demo_monitor()
            if seeded:
                self.stdout.write(f"Demo monitor history loaded for {seeded:,} e-services (illustrative).")
        password = os.environ.get("TATHMINI_ADMIN_PASSWORD", demo.DEMO_PASSWORD)
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@localhost", password)
        self.stdout.write(self.style.SUCCESS("\nTathmini is ready. Sign in at http://127.0.0.1:8000/accounts/login/"))
        self.stdout.write(f"  administrator: admin / {password}")
        for username, role in users:
            self.stdout.write(f"  {role}: {username} / {demo.DEMO_PASSWORD}")
        self.stdout.write("  (demo accounts and data are illustrative; change these passwords before real use)\n")
