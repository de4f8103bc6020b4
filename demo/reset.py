"""Wiping the data seed_demo writes (`seed_demo --reset`).

Removes every row of the staff, clients, circles and chains apps (their history included) and the
logins of staff. On PostgreSQL one TRUNCATE ... CASCADE does it, which also empties rows of other
apps that point at these (holdings, needs, alerts, the flow summary, ...): they would dangle
otherwise. The exchange rates the demo seeds go too. Elsewhere (SQLite, small
sets) the ORM deletes table by table, children first.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction

APPS = ("chains", "circles", "clients", "staff")


def demo_data_exists() -> bool:
    from clients.models import Enterprise
    from staff.models import Branch

    return Branch.objects.exists() or Enterprise.objects.exists()


def demo_data_state() -> str:
    """"none" (an empty database), "current" (built by this builder: its rows have their history
    baseline) or "outdated" (data of an older builder, or not demo data at all)."""
    from django.contrib.auth import get_user_model

    from clients.models import Enterprise

    if not demo_data_exists():
        return "none"
    seeded = get_user_model().objects.filter(username="rm_gy1").exists()
    if seeded and Enterprise.history.filter(history_change_reason="seed").exists():
        return "current"
    return "outdated"


def _client_data_models():
    """Rows of other apps that are client data (and their history): holdings and needs, profiles and
    contribution figures (services), the flow summary comes with chains. The catalogue, the rules'
    thresholds and head office's settings are configuration and stay."""
    from services.models import ClientProfile, ContributionMonth, Holding, Need

    for model in (Holding, Need):
        yield model
        yield model.history.model
    yield ClientProfile
    yield ContributionMonth
    yield from _risk_models()


def _risk_models():
    """Risk (issue 10): alerts, proposals, facilities, pledges, sub-limits, other banks' financing,
    related parties and their history, children first; the concentration limits and the rules'
    settings are configuration and stay."""
    from risk import models as risk

    first = [risk.AlertComment, risk.AlertParty, risk.RiskAlert, risk.Pledge, risk.Facility]
    kept = {risk.RiskSettings, risk.AlertRule}
    kept |= {m.history.model for m in kept}
    rest = [m for m in apps.get_app_config("risk").get_models(include_auto_created=True)
            if m not in first and m not in kept]
    yield from first
    yield from rest


def _models():
    for label in APPS:
        yield from apps.get_app_config(label).get_models(include_auto_created=True)
    yield from _client_data_models()


def _staff_user_ids() -> list[int]:
    from staff.models import StaffProfile

    return list(StaffProfile.objects.values_list("user_id", flat=True))


@transaction.atomic
def reset() -> None:
    user_ids = _staff_user_ids()
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in _models())
        with connection.cursor() as cursor:
            # Inside a longer transaction (tests), deferred foreign-key checks must run before TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    else:
        from chains.models import ChainLink, Flow
        from circles.models import CircleMember, Guarantee
        from clients.models import (
            AccountBalance,
            BankAccount,
            ControlLink,
            Enterprise,
            FinancialStatement,
            GroupClient,
            GroupMembership,
            Interaction,
            KeyPerson,
            Person,
        )
        from staff.models import Branch, StaffProfile

        ordered = [
            Flow,
            ChainLink,
            Guarantee,
            CircleMember,
            GroupMembership,
            ControlLink,
            KeyPerson,
            AccountBalance,
            BankAccount,
            FinancialStatement,
            Interaction,
            GroupClient,
            Person,
            Enterprise,
            StaffProfile,
        ]
        for model in _client_data_models():
            model._base_manager.all().delete()
        for model in ordered:
            model.objects.all().delete()
        for branch in Branch.objects.order_by("-path"):  # deepest first: parents are protected
            branch.delete()
        for model in _models():  # history rows and anything else left in these apps
            model._base_manager.all().delete()
    get_user_model().objects.filter(pk__in=user_ids).delete()
    # The demo's exchange rates (demo.catalogue); holdings went with their enterprises.
    from core.models import FxRate

    FxRate.objects.all().delete()
