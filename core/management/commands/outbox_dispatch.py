"""manage.py outbox_dispatch [--loop] [--interval SECONDS]

Hands the outbox's pending messages to the broker (core.outbox). Once by default; with --loop it keeps
going (the compose file's `outbox` service): it needs only the database, so it keeps retrying while
the broker is down and delivers the backlog as soon as the broker is back. Every minute it also marks
failed the job runs whose worker died (core.jobs.reap_dead_runs). Stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from core import outbox
from core.jobs import reap_dead_runs

REAP_EVERY_SECONDS = 60


class Command(BaseCommand):
    help = "Send pending outbox messages to the broker (once, or in a loop with --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep dispatching until stopped.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between rounds (default 2).")

    def handle(self, *args, loop=False, interval=2.0, **options):
        if not loop:
            result = outbox.dispatch_all()
            self.stdout.write(f"sent {result.sent}, failed {result.failed}")
            return
        stopping = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
        self.stdout.write(f"Dispatching the outbox every {interval:g} s")
        last_reap = 0.0
        while not stopping:
            try:
                close_old_connections()  # a restarted database: reconnect instead of dying
                result = outbox.dispatch_all()
                if result.sent or result.failed:
                    self.stdout.write(f"sent {result.sent}, failed {result.failed}")
                if time.monotonic() - last_reap >= REAP_EVERY_SECONDS:
                    reap_dead_runs()
                    last_reap = time.monotonic()
            except DatabaseError as exc:
                self.stderr.write(f"database unavailable: {exc}")
                from django.db import connection

                connection.close()
            self._sleep(interval, stopping)
        self.stdout.write("Stopped")

    @staticmethod
    def _sleep(seconds: float, stopping: list) -> None:
        end = time.monotonic() + seconds
        while not stopping and time.monotonic() < end:
            time.sleep(min(0.2, end - time.monotonic()))
