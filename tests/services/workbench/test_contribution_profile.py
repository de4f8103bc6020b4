"""Contribution (综合贡献度) and client profile (客户画像): figures on hand-computed data, idempotence."""

import datetime as dt
from decimal import Decimal

import pytest

from clients.models import AccountBalance, BankAccount
from core.models import FxRate
from services import contribution, profile
from services.models import ClientProfile, ContributionMonth, ContributionSettings, Holding, Need, Product
from tests.factories import FlowFactory

TODAY = dt.date(2026, 3, 15)  # March 2026: 31 days, 15 of them so far


def account(enterprise, kind, currency="CNY", no=None, **extra):
    no = no or f"{enterprise.pk}-{kind}-{currency}-{BankAccount.objects.count()}"
    return BankAccount.objects.create(enterprise=enterprise, account_no=no, kind=kind, currency=currency, **extra)


def rows(enterprise):
    return {r.month: r for r in ContributionMonth.objects.filter(enterprise=enterprise)}


@pytest.fixture
def core(bank):
    return bank.group_gy.core_enterprise


def test_deposit_and_loan_income_on_hand_computed_balances(core):
    dep = account(core, "demand")
    # February 2026 (28 days): 1,000,000 from Feb 1 to Feb 14 (14 days), 3,000,000 from Feb 15 (14 days).
    AccountBalance.objects.create(account=dep, date=dt.date(2026, 2, 1), balance=Decimal("1000000"))
    AccountBalance.objects.create(account=dep, date=dt.date(2026, 2, 15), balance=Decimal("3000000"))
    loan = account(core, "loan")
    AccountBalance.objects.create(account=loan, date=dt.date(2026, 1, 1), balance=Decimal("12000000"))

    assert contribution.refresh([core.pk], today=TODAY) == 3  # January, February, March
    got = rows(core)
    feb = got[dt.date(2026, 2, 1)]
    assert feb.avg_deposits == Decimal("2000000.00")
    # 2,000,000 x 1.20 % / 12 = 2,000.00
    assert feb.deposit_income == Decimal("2000.00")
    assert feb.avg_loans == Decimal("12000000.00")
    assert feb.loan_income == Decimal("15000.00")  # 12 m x 1.50 % / 12
    jan = got[dt.date(2026, 1, 1)]
    assert jan.avg_deposits == 0 and jan.deposit_income == 0
    mar = got[dt.date(2026, 3, 1)]
    # March so far: 15 of 31 days at 3,000,000: average 3,000,000, income 3,000 x 15/31.
    assert mar.avg_deposits == Decimal("3000000.00")
    assert mar.deposit_income == (Decimal("3000") * 15 / 31).quantize(Decimal("0.01"))


def test_foreign_currency_balances_convert_at_their_date_and_unrated_ones_are_left_out(core):
    usd = account(core, "time", currency="USD")
    FxRate.objects.create(currency="USD", date=dt.date(2026, 1, 30), rate=Decimal("7.0"), source="test")
    FxRate.objects.create(currency="USD", date=dt.date(2026, 2, 14), rate=Decimal("7.2"), source="test")
    AccountBalance.objects.create(account=usd, date=dt.date(2026, 2, 1), balance=Decimal("100000"))  # 700,000
    AccountBalance.objects.create(account=usd, date=dt.date(2026, 2, 15), balance=Decimal("100000"))  # 720,000
    eur = account(core, "demand", currency="EUR")  # no EUR rate at all
    AccountBalance.objects.create(account=eur, date=dt.date(2026, 2, 1), balance=Decimal("999999"))
    contribution.refresh([core.pk], today=TODAY)
    feb = rows(core)[dt.date(2026, 2, 1)]
    assert feb.avg_deposits == Decimal("710000.00")
    assert feb.deposit_income == Decimal("710.00")


def test_fee_income_from_fee_earning_holdings_only(core):
    wealth = Product.objects.get(code="wealth_management")  # 0.50 %
    loan_product = Product.objects.get(code="working_capital_loan")
    Holding.objects.create(enterprise=core, product=wealth, since=dt.date(2025, 6, 1), balance=Decimal("24000000"),
                           source_system="t", external_ref="w1")
    Holding.objects.create(enterprise=core, product=loan_product, since=dt.date(2025, 6, 1),
                           balance=Decimal("50000000"), source_system="t", external_ref="l1")
    contribution.refresh([core.pk], today=TODAY)
    got = rows(core)
    assert got[dt.date(2026, 2, 1)].fee_income == Decimal("10000.00")  # 24 m x 0.5 % / 12
    assert got[dt.date(2026, 2, 1)].loan_income == 0  # financing holdings are not fees
    assert got[dt.date(2026, 3, 1)].fee_income == (Decimal("10000") * 15 / 31).quantize(Decimal("0.01"))


def test_refresh_is_idempotent_and_follows_the_settings(core):
    dep = account(core, "demand")
    AccountBalance.objects.create(account=dep, date=dt.date(2025, 1, 1), balance=Decimal("1200000"))
    contribution.refresh([core.pk], today=TODAY)
    first = list(ContributionMonth.objects.filter(enterprise=core).order_by("month").values())
    assert len(first) == 12
    assert contribution.refresh(None, today=TODAY) == 0  # nothing changed: nothing written
    again = list(ContributionMonth.objects.filter(enterprise=core).order_by("month").values())
    assert [{k: v for k, v in r.items() if k != "id"} for r in first] == \
        [{k: v for k, v in r.items() if k != "id"} for r in again]
    ContributionSettings.objects.create(pk=1, deposit_spread_pct=Decimal("2.40"), months=3)
    contribution.refresh([core.pk], today=TODAY)
    assert rows(core)[dt.date(2026, 2, 1)].deposit_income == Decimal("2400.00")


def test_group_roll_up_sums_the_control_tree(bank, core):
    member = bank.group_gy.memberships.exclude(enterprise=core).first().enterprise
    for e, amount in ((core, "1200000"), (member, "2400000")):
        AccountBalance.objects.create(account=account(e, "demand"), date=dt.date(2025, 12, 1), balance=Decimal(amount))
    outsider = bank.group_zy.core_enterprise
    AccountBalance.objects.create(account=account(outsider, "demand"), date=dt.date(2025, 12, 1),
                                  balance=Decimal("99000000"))
    contribution.refresh(None, today=TODAY)
    group = contribution.for_group(bank.group_gy, today=TODAY)
    feb = next(m for m in group.months if m["month"] == dt.date(2026, 2, 1))
    assert feb["deposit_income"] == Decimal("3600.00")
    assert contribution.for_enterprise(core, today=TODAY).months[-2]["deposit_income"] == Decimal("1200.00")


def test_profile_tags(bank, core):
    from chains.models import ChainLink
    from circles.models import CircleMember

    member = bank.group_gy.memberships.exclude(enterprise=core).first().enterprise
    from tests.factories import EnterpriseFactory

    supplier = EnterpriseFactory()
    CircleMember.objects.create(group=bank.group_gy, enterprise=supplier, role="supplier")
    ChainLink.objects.create(group=bank.group_gy, supplier=supplier, buyer=core, tier=-1)
    Holding.objects.create(enterprise=core, product=Product.objects.get(code="cash_pool"), since=dt.date(2025, 1, 1),
                           balance=Decimal("1"), source_system="t", external_ref="c1")
    Need.objects.create(enterprise=supplier, group=bank.group_gy, product=Product.objects.get(code="receivables_financing"),
                        rule="receivables_financing", score=80, value=Decimal("50000"), evidence="证据")
    FlowFactory(payer=core, payee=supplier, value_date=dt.date.today() - dt.timedelta(days=5))
    assert profile.refresh(None) >= 4
    core_tags = ClientProfile.objects.get(pk=core.pk).tags
    assert "role:core" in core_tags and "family:cash_management" in core_tags
    sup_tags = ClientProfile.objects.get(pk=supplier.pk).tags
    assert {"role:supplier", "chain:-1", "needs:1", "need:receivables_financing"} <= set(sup_tags)
    assert "role:member" in ClientProfile.objects.get(pk=member.pk).tags
    labels = [t.label for t in profile.tags_for(supplier)]
    assert "Top need: Receivables financing" in labels and "Supplier" in labels


def test_profile_activity_value_tier_and_idempotence(bank, core):
    from tests.factories import EnterpriseFactory

    today = dt.date.today()
    quiet, busy = EnterpriseFactory(), EnterpriseFactory()
    FlowFactory(payer=core, payee=busy, value_date=today - dt.timedelta(days=10))
    FlowFactory(payer=quiet, payee=core, value_date=today - dt.timedelta(days=200))
    # 120 m deposits all year: 120 m x 1.2 % = 1.44 m a year -> high; 12 m -> 144,000 -> medium; 1 m -> low.
    for e, amount in ((core, "120000000"), (busy, "12000000"), (quiet, "1000000")):
        AccountBalance.objects.create(account=account(e, "demand"), date=today - dt.timedelta(days=400),
                                      balance=Decimal(amount))
    ids = [core.pk, quiet.pk, busy.pk]
    profile.refresh(ids)
    contribution.refresh(ids)  # writes the value tiers into the profiles
    tags = {e: ClientProfile.objects.get(pk=e.pk).tags for e in (core, quiet, busy)}
    assert "activity:active" in tags[core] and "activity:active" in tags[busy]
    assert "activity:dormant" in tags[quiet]
    assert "tier:high" in tags[core] and "tier:medium" in tags[busy] and "tier:low" in tags[quiet]
    assert ClientProfile.objects.get(pk=core.pk).value_tier == "high"
    # Profiles first or contribution first: the same tags; and a second run changes nothing.
    before = {p.pk: (p.tags, p.value_tier) for p in ClientProfile.objects.filter(pk__in=ids)}
    contribution.refresh(ids)
    profile.refresh(ids)
    after = {p.pk: (p.tags, p.value_tier) for p in ClientProfile.objects.filter(pk__in=ids)}
    assert before == after
    labels = {t.label for t in profile.tags_for(core)}
    assert {"High value", "Active (flows in the last 90 days)", "Core enterprise"} <= labels


def test_refresh_of_unknown_or_no_ids(bank):
    assert profile.refresh([]) == 0 and contribution.refresh([]) == 0
    assert profile.refresh([987654321]) == 0  # no such enterprise: nothing written
    assert contribution.refresh([987654321]) == 0


def test_rows_no_longer_backed_by_data_are_removed_and_changes_rewritten(core):
    dep = account(core, "demand")
    first = AccountBalance.objects.create(account=dep, date=dt.date(2026, 1, 1), balance=Decimal("1200000"))
    assert contribution.refresh([core.pk], today=TODAY) == 3
    first.balance = Decimal("2400000")
    first.save()
    assert contribution.refresh([core.pk], today=TODAY) == 3  # every month changed
    assert rows(core)[dt.date(2026, 2, 1)].deposit_income == Decimal("2400.00")
    first.delete()
    assert contribution.refresh([core.pk], today=TODAY) == 0
    assert not ContributionMonth.objects.filter(enterprise=core).exists()
