"""`python manage.py create_api_token USERNAME [--name NAME] [--days DAYS]`: a new API token for a user
(for internal systems and scripts); the secret is printed once and never stored (staff.tokens)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from staff import tokens


class Command(BaseCommand):
    help = "Create an API token for a user and print its secret (shown once, stored only as a digest)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What or who uses the token.")
        parser.add_argument("--days", type=int, default=None,
                            help="Lifetime in days (default API_TOKEN_DEFAULT_DAYS, at most API_TOKEN_MAX_DAYS).")

    def handle(self, *args, username, name, days, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        try:
            token, secret = tokens.token_create(user=user, name=name, days=days)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(f"Token {token.token_key} ({token.name}) for {username}, expires {token.expiry:%Y-%m-%d %H:%M}.")
        self.stdout.write(secret)
