"""python manage.py seed_demo [--groups N] [--flows M] [--seed S] [--password P] [--reset]"""

from django.core.management.base import BaseCommand, CommandError

from demo import seed as builder


class Command(BaseCommand):
    # A data command: it needs the models, not the URL and template checks.
    requires_system_checks = []
    help = ("Build a deterministic demo / benchmark data set: branches, staff, groups, circles, chains, flows, "
            "product holdings and daily exchange rates.")

    def add_arguments(self, parser):
        parser.add_argument("--groups", type=int, default=30, help="number of group clients (default 30)")
        parser.add_argument("--flows", type=int, default=20_000, help="number of flows (default 20000)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--password", default="demo-pass-2026", help="password of every demo login")
        parser.add_argument(
            "--reset", action="store_true", help="first delete all staff, client, circle and chain data"
        )

    def handle(self, *args, groups, flows, seed, password, reset, **options):
        if groups < 1 or flows < 0:
            raise CommandError("--groups must be at least 1 and --flows cannot be negative.")
        if reset:
            builder.reset()
            self.stdout.write("Existing staff and client data deleted.")
        elif builder.demo_data_exists():
            raise CommandError(
                "The database already holds branches or enterprises; run with --reset to "
                "replace them with the demo data set."
            )
        counts = builder.build(
            seed=seed,
            groups=groups,
            flows=flows,
            password=password,
            log=lambda message: self.stdout.write(message),
        )
        for name, count in counts.items():
            self.stdout.write(f"  {name:>15}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {password}):"))
        for username, role, branch, display in builder.DEMO_LOGINS:
            self.stdout.write(f"  {username:<8} {role.label:<24} {branch:<5} {display}")
        self.stdout.write(
            "  (further RMs: rm0001, rm0002, ... with the same password)"
            if counts["staff"] > len(builder.DEMO_LOGINS)
            else ""
        )
