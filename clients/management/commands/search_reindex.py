"""python manage.py search_reindex [--all]: compute the pinyin search key (clients.search) of the
enterprises and groups that lack it (rows written by tools outside the app; the trigger sets a stale
key to NULL), or of every row with --all."""

from django.core.management.base import BaseCommand

from clients.models import Enterprise, GroupClient
from clients.search import fill_pinyin


class Command(BaseCommand):
    help = "Fill the pinyin search key of enterprises and groups that lack it (--all: recompute every key)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="recompute every key, not only the missing ones")

    def handle(self, *args, all=False, **options):
        for model in (Enterprise, GroupClient):
            done = fill_pinyin(model, only_missing=not all)
            self.stdout.write(f"{model._meta.verbose_name_plural}: {done} keys written")
