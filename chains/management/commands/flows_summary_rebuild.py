"""manage.py flows_summary_rebuild: recompute chains.FlowSummary from the flows (chains.summary.rebuild)."""

from django.core.management.base import BaseCommand

from chains import summary


class Command(BaseCommand):
    help = "Recompute the flow summary from chains_flow in one set-based statement; prints rows and seconds."

    def handle(self, *args, **options):
        rows, seconds = summary.rebuild_timed()
        self.stdout.write(f"flow summary rebuilt: {rows} rows in {seconds:.2f} s")
