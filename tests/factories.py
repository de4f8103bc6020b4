"""factory_boy factories for the domain. Credit codes are generated valid (GB 32100-2015)."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from clients.models import ControlLink, Enterprise, GroupClient, Person
from clients.validators import make_uscc
from staff.models import Branch, BranchLevel, Role, StaffProfile


def uscc_for(n: int) -> str:
    """A valid credit code for sequence number n: 91 (SAIC, enterprise) + region 520100 + org code."""
    return make_uscc(f"91520100{n:09d}")


def ric_for(n: int) -> str:
    """A valid resident ID number (GB 11643-1999) for sequence number n."""
    from stdnum.cn import ric

    # 110101: a birthplace code python-stdnum knows; calc_check_digit takes the number with a
    # placeholder in the check position.
    body = f"110101198001{(n % 28) + 1:02d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    code = factory.Sequence(lambda n: f"B{n:04d}")
    name = factory.Sequence(lambda n: f"支行{n}")
    level = BranchLevel.SUB_BRANCH

    @factory.post_generation
    def set_path(obj, create, extracted, **kwargs):
        obj.path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        obj.save(update_fields=["path"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-test-2026")


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    role = Role.RM
    branch = factory.SubFactory(BranchFactory)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    uscc = factory.Sequence(lambda n: uscc_for(n + 1000))
    industry = "C36"
    region = "52"
    is_client = True


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张{n}")
    id_number = factory.Sequence(lambda n: ric_for(n + 1))


class GroupClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupClient

    name = factory.Sequence(lambda n: f"测试集团{n}")
    core_enterprise = factory.SubFactory(EnterpriseFactory)
    tier = "key"
    unified_credit_limit = Decimal("1000000000.00")


class ControlLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ControlLink

    child = factory.SubFactory(EnterpriseFactory)
    share_pct = Decimal("60")
    control_type = "equity"


class FlowFactory(factory.django.DjangoModelFactory):
    """A payment through this bank, ten days ago; give payer and payee."""

    class Meta:
        model = "chains.Flow"

    amount = Decimal("1000.00")
    currency = "CNY"
    value_date = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=10))
    kind = "payment"
    channel = "this_bank"
    source_system = "test"
    external_ref = factory.Sequence(lambda n: f"F{n:08d}")
