"""Personas and shared fixtures.

The bank: head office > 贵阳分行 (GY) > sub-branches GY1, GY2; head office > 遵义分行 (ZY) > ZY1.
- hq: head-office admin; head_gy: head of GY; risk_gy: risk officer of GY;
- rm_gy1 (GY1) leads group `group_gy`; rm_gy2 (GY2) covers nothing there;
- rm_zy1 (ZY1) leads `group_zy` in another branch; outsider has a login and no role.
"""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from dataclasses import dataclass  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from clients.models import GroupClient  # noqa: E402
from clients.services import group_membership_refresh  # noqa: E402
from staff.models import BranchLevel, Role  # noqa: E402
from staff.services import branch_create, staff_create  # noqa: E402
from tests.factories import ControlLinkFactory, EnterpriseFactory  # noqa: E402

PASSWORD = "pw-test-2026"


@dataclass
class Bank:
    ho: object
    gy: object
    gy1: object
    gy2: object
    zy: object
    zy1: object
    hq: object
    head_gy: object
    risk_gy: object
    rm_gy1: object
    rm_gy2: object
    rm_zy1: object
    outsider: object
    group_gy: GroupClient
    group_zy: GroupClient


def make_group(*, name, branch, lead_rm, members: int = 2, team=()) -> GroupClient:
    """A group whose core holds 60 % of each of `members` subsidiaries."""
    core = EnterpriseFactory(name=f"{name}核心企业", branch=branch, rm=lead_rm)
    group = GroupClient.objects.create(
        name=name, core_enterprise=core, lead_rm=lead_rm, branch=branch, tier="key",
        unified_credit_limit=Decimal("5000000000.00"),
    )
    group.team.set(team)
    for _ in range(members):
        ControlLinkFactory(parent_enterprise=core, child=EnterpriseFactory(branch=branch), share_pct=Decimal("60"))
    group_membership_refresh(groups=[group])
    return group


@pytest.fixture
def bank(db) -> Bank:
    ho = branch_create(code="HO", name="总行", level=BranchLevel.HEAD_OFFICE)
    gy = branch_create(code="GY", name="贵阳分行", level=BranchLevel.BRANCH, parent=ho)
    gy1 = branch_create(code="GY1", name="贵阳观山湖支行", level=BranchLevel.SUB_BRANCH, parent=gy)
    gy2 = branch_create(code="GY2", name="贵阳南明支行", level=BranchLevel.SUB_BRANCH, parent=gy)
    zy = branch_create(code="ZY", name="遵义分行", level=BranchLevel.BRANCH, parent=ho)
    zy1 = branch_create(code="ZY1", name="遵义汇川支行", level=BranchLevel.SUB_BRANCH, parent=zy)
    people = {
        "hq": (Role.HQ_ADMIN, ho),
        "head_gy": (Role.BRANCH_HEAD, gy),
        "risk_gy": (Role.RISK_OFFICER, gy),
        "rm_gy1": (Role.RM, gy1),
        "rm_gy2": (Role.RM, gy2),
        "rm_zy1": (Role.RM, zy1),
    }
    users = {
        name: staff_create(username=name, password=PASSWORD, role=role, branch=branch, display_name=name)
        for name, (role, branch) in people.items()
    }
    from django.contrib.auth import get_user_model

    outsider = get_user_model().objects.create_user(username="outsider", password=PASSWORD)
    group_gy = make_group(name="贵州测试汽车集团", branch=gy1, lead_rm=users["rm_gy1"])
    group_zy = make_group(name="遵义测试酒业集团", branch=zy1, lead_rm=users["rm_zy1"])
    return Bank(ho, gy, gy1, gy2, zy, zy1, outsider=outsider, group_gy=group_gy, group_zy=group_zy, **users)


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Tests assert on the English msgids. The site's default language is Simplified Chinese; tests of
    the Chinese UI ask for it explicitly (Accept-Language, the language switch, the browser's locale)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def client_as():
    """A test client logged in as a user (no password round trip, so login throttling stays out).
    Each call gives its own client: logging one persona in never logs another out."""
    from django.test import Client

    def _login(user):
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_as():
    """An API client authenticated with the user's token, as an internal system would be.

    The token (staff.ApiToken, hashed) is made as one already in use from the test client's address, so
    a test's first request does not also note the token's first use (tests/auth covers that): requests
    cost what they cost for a system that has been using its token."""
    from datetime import timedelta

    from django.utils import timezone

    from staff.models import ApiToken

    def _api(user):
        token, secret = ApiToken.objects.create(user, expiry=timedelta(days=30), name="tests",
                                                seen_addresses=["127.0.0.1"], last_used_at=timezone.now(),
                                                last_used_ip="127.0.0.1")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return api

    return _api


@pytest.fixture
def every_pair_detected(db):
    """Link detection proposes every pair with a payment (thresholds at their floor): for tests whose
    data has one payment per pair. The thresholds themselves are tested in tests/chains/test_thresholds.py."""
    from decimal import Decimal

    from chains.models import DetectionSettings

    return DetectionSettings.objects.update_or_create(
        pk=DetectionSettings.SINGLETON_PK, defaults={"min_volume": Decimal("0"), "min_payments": 1, "min_months": 1}
    )[0]


@pytest.fixture
def catalogue(db):
    """The seed catalogue (migration services 0002), written again: a transactional test that ran
    earlier in the session emptied every table, the migration's rows included."""
    from services import catalogue_data
    from services.models import Partner, PlaybookItem, Product

    catalogue_data.load(Product, Partner, PlaybookItem)
