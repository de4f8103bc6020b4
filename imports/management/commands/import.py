"""manage.py import KIND FILE --source CODE [--user USERNAME]

Imports a CSV or XLSX file (flows, circle members, chain links, enterprises), all-or-nothing and
idempotent. `--source` names the source system (an active code of the list head office keeps; required
for flows). Without --user it runs with head-office scope (a trusted batch job); with --user it applies
that user's role and reach."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from imports.registry import kinds
from imports.services import import_file


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of one kind (all-or-nothing, idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=kinds())
        parser.add_argument("file")
        parser.add_argument("--source", default="",
                            help="Source system code (required for flows): one head office keeps in the admin.")
        parser.add_argument("--user", help="Import as this user (their role and reach apply).")

    def handle(self, *args, kind, file, source="", user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        acting = None
        if user:
            acting = get_user_model().objects.filter(username=user).first()
            if acting is None:
                raise CommandError(f"No such user: {user}")
        try:
            with open(path, "rb") as fh:
                result = import_file(user=acting, kind=kind, fh=fh, filename=path.name, commit=True,
                                     source_system=source, max_bytes=settings.IMPORT_MAX_BYTES)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        for note in result.notes:
            self.stdout.write(note)
        if not result.ok:
            for message in result.file_errors:
                self.stderr.write(message)
            for e in result.errors.sorted():
                self.stderr.write(f"row {e.row}, {e.column}: {e.message}")
            if result.errors.truncated:
                self.stderr.write(f"... and {result.errors.truncated} more errors")
            raise CommandError(f"{result.error_count} error(s); nothing was imported.")
        origin = f" (source {source})" if source else ""
        self.stdout.write(self.style.SUCCESS(
            f"{result.total_rows} rows: {result.created} created, {result.already_present} already present{origin}."
        ))
