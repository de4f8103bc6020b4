"""Head office's writes in the admin go through the services (core.admin_tools.ServiceAdminMixin): the
same checks, the same side effects (membership refresh), the same history author; a refusal shows on
the form and stores nothing."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from chains import services as chain_services
from chains.models import ChainLink
from circles.models import CircleMember, CircleSource
from clients import approvals
from clients.models import ChangeRequestStatus, ControlLink, Enterprise, GroupClient, GroupMembership
from staff.models import Branch, BranchLevel
from tests.admin.helpers import form_data, staff_with_all_permissions
from tests.factories import EnterpriseFactory


@pytest.fixture
def hq_admin(bank, client_as):
    return client_as(staff_with_all_permissions(bank.hq))


def _members(group) -> set[int]:
    return set(GroupMembership.objects.filter(group=group).values_list("enterprise_id", flat=True))


def _errors(response) -> dict:
    return response.context["adminform"].form.errors


# --- control links: membership follows ----------------------------------------------------------------


def test_changing_a_control_link_in_the_admin_refreshes_group_membership(bank, hq_admin):
    group = bank.group_gy
    link = ControlLink.objects.filter(parent_enterprise=group.core_enterprise).first()
    assert link.child_id in _members(group)
    url = reverse("admin:clients_controllink_change", args=[link.pk])
    data = form_data(hq_admin.get(url))
    data["share_pct"] = "30"

    response = hq_admin.post(url, data)

    assert response.status_code == 302, _errors(response)
    assert link.child_id not in _members(group)
    assert link.history.latest("history_date").history_user == bank.hq


def test_adding_and_deleting_a_control_link_in_the_admin_refresh_group_membership(bank, hq_admin):
    group = bank.group_gy
    child = EnterpriseFactory(branch=bank.gy1)
    url = reverse("admin:clients_controllink_add")
    data = form_data(hq_admin.get(url))
    data.update(parent_enterprise=group.core_enterprise.pk, child=child.pk, share_pct="70", control_type="equity")

    response = hq_admin.post(url, data)

    assert response.status_code == 302, _errors(response)
    assert child.pk in _members(group)
    link = ControlLink.objects.get(child=child)
    response = hq_admin.post(reverse("admin:clients_controllink_delete", args=[link.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not ControlLink.objects.filter(pk=link.pk).exists()
    assert child.pk not in _members(group)


# --- circles: a service refusal shows on the form ----------------------------------------------------------


def test_the_core_as_circle_member_shows_the_service_error_and_stores_nothing(bank, hq_admin):
    group = bank.group_gy
    url = reverse("admin:circles_circlemember_add")
    data = form_data(hq_admin.get(url))
    data.update(group=group.pk, enterprise=group.core_enterprise.pk, role="supplier", source="declared")
    members, log_entries = CircleMember.objects.count(), LogEntry.objects.count()

    response = hq_admin.post(url, data)

    assert response.status_code == 200
    assert _errors(response)["enterprise"] == ["The core enterprise is the centre of the circle, not a member of it."]
    assert CircleMember.objects.count() == members
    assert not CircleMember.objects.filter(group=group, enterprise=group.core_enterprise).exists()
    assert LogEntry.objects.count() == log_entries


def test_a_circle_member_is_added_through_the_service(bank, hq_admin):
    supplier = EnterpriseFactory(branch=bank.zy1)
    url = reverse("admin:circles_circlemember_add")
    data = form_data(hq_admin.get(url))
    data.update(group=bank.group_gy.pk, enterprise=supplier.pk, role="supplier", source="declared", tier="1")

    response = hq_admin.post(url, data)

    assert response.status_code == 302, _errors(response)
    member = CircleMember.objects.get(group=bank.group_gy, enterprise=supplier)
    assert member.history.get().history_user == bank.hq
    assert LogEntry.objects.filter(object_id=str(member.pk)).exists()


def test_members_from_the_control_tree_are_read_only_in_the_admin(bank, hq_admin):
    control = CircleMember.objects.filter(group=bank.group_gy, source=CircleSource.CONTROL).first()
    assert control is not None
    url = reverse("admin:circles_circlemember_change", args=[control.pk])
    response = hq_admin.get(url)
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert hq_admin.post(url, {"tier": "2"}).status_code == 403
    assert hq_admin.post(reverse("admin:circles_circlemember_delete", args=[control.pk]),
                         {"post": "yes"}).status_code == 403


def test_delete_selected_refuses_members_from_the_control_tree(bank, hq_admin):
    declared = CircleMember.objects.create(group=bank.group_gy, enterprise=EnterpriseFactory(), role="supplier")
    control = CircleMember.objects.filter(group=bank.group_gy, source=CircleSource.CONTROL).first()

    response = hq_admin.post(
        reverse("admin:circles_circlemember_changelist"),
        {"action": "delete_selected", "_selected_action": [declared.pk, control.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert CircleMember.objects.filter(pk__in=[declared.pk, control.pk]).count() == 2


def test_delete_selected_is_all_or_nothing_when_the_service_refuses_one(bank, hq_admin, monkeypatch):
    """The service refuses the second link: the first is not deleted either, and no deletion is logged."""
    first, second = _declared_link(bank), _declared_link(bank)
    chain_admin = type(admin.site._registry[ChainLink])

    def refuse_second(*, user, link):
        if link.pk == second.pk:
            raise ValidationError({"status": "Refused for the test."})
        chain_services.chain_link_delete(user=user, link=link)

    monkeypatch.setattr(chain_admin, "delete_service", staticmethod(refuse_second))
    log_entries = LogEntry.objects.count()

    response = hq_admin.post(
        reverse("admin:chains_chainlink_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert ChainLink.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    assert LogEntry.objects.count() == log_entries
    text = [str(m) for m in response.context["messages"]]
    assert any("Refused for the test." in m for m in text), text
    assert "Nothing was deleted." in text
    assert not any(m.startswith("Successfully deleted") for m in text)


def test_a_refused_delete_view_deletes_nothing_and_says_why(bank, hq_admin, monkeypatch):
    link = _declared_link(bank)

    def refuse(*, user, link):
        raise ValidationError("Refused for the test.")

    monkeypatch.setattr(type(admin.site._registry[ChainLink]), "delete_service", staticmethod(refuse))
    response = hq_admin.post(reverse("admin:chains_chainlink_delete", args=[link.pk]), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert ChainLink.objects.filter(pk=link.pk).exists()
    assert "Refused for the test." in [str(m) for m in response.context["messages"]]


# --- enterprises and groups ------------------------------------------------------------------------------


def test_changing_an_enterprise_name_records_head_office_as_the_history_author(bank, hq_admin):
    enterprise = bank.group_gy.core_enterprise
    url = reverse("admin:clients_enterprise_change", args=[enterprise.pk])
    data = form_data(hq_admin.get(url))
    data["name"] = "贵州测试汽车集团股份有限公司"

    response = hq_admin.post(url, data)

    assert response.status_code == 302, _errors(response)
    enterprise.refresh_from_db()
    assert enterprise.name == "贵州测试汽车集团股份有限公司"
    latest = enterprise.history.latest("history_date")
    assert latest.history_type == "~"
    assert latest.history_user == bank.hq
    assert latest.name == enterprise.name


def test_an_enterprise_is_created_through_the_service(bank, hq_admin):
    url = reverse("admin:clients_enterprise_add")
    data = form_data(hq_admin.get(url))
    data.update(name="新建测试企业有限公司", uscc=EnterpriseFactory.build().uscc, branch=bank.zy1.pk)

    response = hq_admin.post(url, data)

    assert response.status_code == 302, _errors(response)
    enterprise = Enterprise.objects.get(name="新建测试企业有限公司")
    assert enterprise.recorded_by == bank.hq  # set by enterprise_create, not by the form
    assert enterprise.history.get().history_user == bank.hq


def test_a_large_limit_change_asks_for_confirmation_in_the_admin(bank, hq_admin):
    group = bank.group_gy
    url = reverse("admin:clients_groupclient_change", args=[group.pk])
    data = form_data(hq_admin.get(url))
    data["unified_credit_limit"] = str(group.unified_credit_limit * 10000)

    response = hq_admin.post(url, data)

    assert response.status_code == 200
    assert "check the unit" in " ".join(_errors(response)["unified_credit_limit"])
    group.refresh_from_db()
    assert group.unified_credit_limit == Decimal("5000000000.00")

    data["confirm_limit_change"] = "on"
    response = hq_admin.post(url, data)
    assert response.status_code == 302, _errors(response)
    group.refresh_from_db()
    assert group.unified_credit_limit == Decimal("50000000000000.00")
    assert group.history.latest("history_date").history_user == bank.hq


def test_a_group_core_taken_by_another_group_is_refused_on_the_field(bank, hq_admin):
    url = reverse("admin:clients_groupclient_add")
    data = form_data(hq_admin.get(url))
    data.update(name="重复核心集团", core_enterprise=bank.group_zy.core_enterprise.pk, lead_rm=bank.rm_gy1.pk,
                branch=bank.gy1.pk, tier="key", unified_credit_limit="0")

    response = hq_admin.post(url, data)

    assert response.status_code == 200
    assert _errors(response)["core_enterprise"]
    assert not GroupClient.objects.filter(name="重复核心集团").exists()


def test_models_without_an_update_or_delete_service_are_view_only(bank, hq_admin):
    enterprise = bank.group_gy.core_enterprise
    response = hq_admin.get(reverse("admin:clients_enterprise_change", args=[enterprise.pk]))
    assert response.context["has_delete_permission"] is False
    assert hq_admin.post(reverse("admin:clients_enterprise_delete", args=[enterprise.pk]),
                         {"post": "yes"}).status_code == 403
    membership = GroupMembership.objects.filter(group=bank.group_gy).first()
    response = hq_admin.get(reverse("admin:clients_groupmembership_change", args=[membership.pk]))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


# --- chains ---------------------------------------------------------------------------------------------


def _declared_link(bank) -> ChainLink:
    return chain_services.chain_link_declare(
        user=bank.rm_gy1, group=bank.group_gy, supplier=EnterpriseFactory(), buyer=bank.group_gy.core_enterprise,
        tier=-1, goods="钢材",
    )


def test_delete_selected_on_chain_links_goes_through_the_delete_service(bank, hq_admin, monkeypatch):
    link = _declared_link(bank)
    chain_admin = admin.site._registry[ChainLink]
    assert type(chain_admin).delete_service is chain_services.chain_link_delete
    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return chain_services.chain_link_delete(**kwargs)

    monkeypatch.setattr(type(chain_admin), "delete_service", staticmethod(spy))

    response = hq_admin.post(
        reverse("admin:chains_chainlink_changelist"),
        {"action": "delete_selected", "_selected_action": [link.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert calls == [{"user": calls[0]["user"], "link": calls[0]["link"]}]
    assert calls[0]["user"] == bank.hq and calls[0]["link"].pk == link.pk
    assert not ChainLink.objects.filter(pk=link.pk).exists()
    deleted = ChainLink.history.filter(id=link.pk, history_type="-").get()
    assert deleted.history_user == bank.hq


def test_a_chain_link_is_declared_and_changed_through_the_services(bank, hq_admin):
    supplier = EnterpriseFactory()
    url = reverse("admin:chains_chainlink_add")
    data = form_data(hq_admin.get(url))
    data.update(group=bank.group_gy.pk, supplier=supplier.pk, buyer=bank.group_gy.core_enterprise.pk, tier="-1",
                goods="轮胎")
    response = hq_admin.post(url, data)
    assert response.status_code == 302, _errors(response)
    link = ChainLink.objects.get(supplier=supplier)
    assert link.status == "declared"

    url = reverse("admin:chains_chainlink_change", args=[link.pk])
    data = form_data(hq_admin.get(url))
    assert "group" not in data and "supplier" not in data  # the pair never changes
    data["tier"] = "5"
    response = hq_admin.post(url, data)
    assert response.status_code == 200
    assert _errors(response)["tier"]
    data["tier"] = "-2"
    assert hq_admin.post(url, data).status_code == 302
    link.refresh_from_db()
    assert link.tier == -2
    assert link.history.latest("history_date").history_user == bank.hq


def test_chain_link_actions_go_through_the_services(bank, hq_admin):
    link = _declared_link(bank)
    response = hq_admin.post(reverse("admin:chains_chainlink_changelist"),
                             {"action": "confirm_links", "_selected_action": [link.pk]}, follow=True)
    assert response.status_code == 200
    link.refresh_from_db()
    assert link.status == "declared"  # only detected or dismissed links are confirmed: the service said no
    assert any("Only a detected" in str(m) for m in response.context["messages"])

    detected = ChainLink.objects.create(group=bank.group_gy, supplier=EnterpriseFactory(),
                                        buyer=bank.group_gy.core_enterprise, tier=-1, status="detected")
    hq_admin.post(reverse("admin:chains_chainlink_changelist"),
                  {"action": "confirm_links", "_selected_action": [detected.pk, link.pk]})
    detected.refresh_from_db()
    assert detected.status == "confirmed"
    assert detected.history.latest("history_date").history_user == bank.hq


# --- staff and approvals -------------------------------------------------------------------------------------


def test_a_branch_created_in_the_admin_gets_its_materialised_path(bank, hq_admin):
    url = reverse("admin:staff_branch_add")
    data = form_data(hq_admin.get(url))
    data.update(code="GY3", name="贵阳花溪支行", level=BranchLevel.SUB_BRANCH, parent=bank.gy.pk)

    response = hq_admin.post(url, data)

    assert response.status_code == 302, _errors(response)
    branch = Branch.objects.get(code="GY3")
    assert branch.path == f"{bank.gy.path}{branch.pk}/"

    data.update(code="GY4", parent="")
    response = hq_admin.post(url, data)
    assert response.status_code == 200
    assert _errors(response)["parent"]
    assert not Branch.objects.filter(code="GY4").exists()


def test_head_office_approves_a_transfer_in_the_admin_through_the_approval_service(bank, hq_admin):
    enterprise = EnterpriseFactory(branch=bank.gy1, rm=bank.rm_gy1)
    request = approvals.transfer_request(user=bank.rm_gy1, enterprise=enterprise, branch=bank.gy2, rm=bank.rm_gy2)
    assert request.status == ChangeRequestStatus.PENDING
    assert hq_admin.get(reverse("admin:clients_changerequest_change", args=[request.pk])).status_code == 200

    response = hq_admin.post(reverse("admin:clients_changerequest_changelist"),
                             {"action": "approve_requests", "_selected_action": [request.pk]})

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.APPLIED
    assert set(request.approvals.values_list("approved_by", flat=True)) == {bank.hq.pk}
    enterprise.refresh_from_db()
    assert (enterprise.branch, enterprise.rm) == (bank.gy2, bank.rm_gy2)


# --- the other client and circle models: each write reaches its service ----------------------------------------


def _add(hq_admin, model_name: str, app: str = "clients", **values):
    url = reverse(f"admin:{app}_{model_name}_add")
    data = form_data(hq_admin.get(url))
    data.update({k: str(v) for k, v in values.items()})
    response = hq_admin.post(url, data)
    assert response.status_code == 302, _errors(response)


def test_person_account_statement_and_interaction_are_recorded_through_the_services(bank, hq_admin):
    from clients.models import BankAccount, FinancialStatement, Interaction, Person
    from tests.factories import PersonFactory

    enterprise = bank.group_gy.core_enterprise
    _add(hq_admin, "person", name="王五", id_number=PersonFactory.build().id_number)
    assert Person.objects.get(name="王五").recorded_by is None  # head office's row (person_create)

    _add(hq_admin, "bankaccount", enterprise=enterprise.pk, account_no="6222000011112222", kind="demand",
         currency="CNY")
    assert BankAccount.objects.get(account_no="6222000011112222").history.get().history_user == bank.hq

    _add(hq_admin, "financialstatement", enterprise=enterprise.pk, period_end="2025-12-31", period_type="annual",
         revenue="1000000.00")
    statement = FinancialStatement.objects.get(enterprise=enterprise, period_end="2025-12-31")
    url = reverse("admin:clients_financialstatement_change", args=[statement.pk])
    data = form_data(hq_admin.get(url))
    assert "enterprise" not in data  # the period's key is fixed once the statement exists
    data["revenue"] = "2000000.00"
    assert hq_admin.post(url, data).status_code == 302
    statement.refresh_from_db()
    assert statement.revenue == Decimal("2000000.00")
    assert statement.history.latest("history_date").history_user == bank.hq

    _add(hq_admin, "interaction", enterprise=enterprise.pk, kind="visit", occurred_at_0="2026-11-20",
         occurred_at_1="10:00:00", subject="年度走访")
    assert Interaction.objects.get(subject="年度走访").staff == bank.hq  # interaction_log: the acting user


def test_a_guarantee_is_created_changed_and_deleted_through_the_services(bank, hq_admin):
    from circles.models import Guarantee

    guarantor, borrower = bank.group_gy.core_enterprise, EnterpriseFactory(branch=bank.gy1)
    _add(hq_admin, "guarantee", app="circles", guarantor=guarantor.pk, borrower=borrower.pk, amount="1000000",
         currency="CNY", start_date="2026-01-01", end_date="2026-12-31")
    guarantee = Guarantee.objects.get(guarantor=guarantor, borrower=borrower)
    assert guarantee.history.get().history_user == bank.hq

    url = reverse("admin:circles_guarantee_change", args=[guarantee.pk])
    data = form_data(hq_admin.get(url))
    data["end_date"] = "2025-06-30"
    response = hq_admin.post(url, data)
    assert response.status_code == 200
    assert _errors(response)  # the period is out of order: refused, on the form

    response = hq_admin.post(reverse("admin:circles_guarantee_delete", args=[guarantee.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Guarantee.objects.filter(pk=guarantee.pk).exists()
    assert Guarantee.history.filter(id=guarantee.pk, history_type="-").get().history_user == bank.hq


def test_a_refusal_without_a_field_shows_on_top_of_the_form(bank, hq_admin, monkeypatch):
    from django.core.exceptions import PermissionDenied

    link = _declared_link(bank)

    def refuse(*, user, link, **changes):
        raise PermissionDenied("Refused for the test.")

    monkeypatch.setattr(type(admin.site._registry[ChainLink]), "update_service", staticmethod(refuse))
    url = reverse("admin:chains_chainlink_change", args=[link.pk])
    data = form_data(hq_admin.get(url))
    data["goods"] = "changed"

    response = hq_admin.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == ["Refused for the test."]
    link.refresh_from_db()
    assert link.goods == "钢材"
