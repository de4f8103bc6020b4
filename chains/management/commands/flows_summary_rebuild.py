"""manage.py flows_summary_rebuild [--triggers]: recompute chains.FlowSummary from the flows
(chains.summary.rebuild); with --triggers, first reinstall the summary's triggers as this checkout
generates them (after a change to chains.summary or core.fx's SQL on a database migrated before)."""

from django.core.management.base import BaseCommand
from django.db import connection

from chains import summary


class Command(BaseCommand):
    help = "Recompute the flow summary from chains_flow in one set-based statement; prints rows and seconds."

    def add_arguments(self, parser):
        parser.add_argument("--triggers", action="store_true",
                            help="first reinstall the triggers that keep the summary in step with the flows")

    def handle(self, *args, **options):
        if options["triggers"]:
            with connection.schema_editor() as editor:
                summary.install_triggers(editor)
            self.stdout.write("flow summary triggers reinstalled")
        rows, seconds = summary.rebuild_timed()
        self.stdout.write(f"flow summary rebuilt: {rows} rows in {seconds:.2f} s")
