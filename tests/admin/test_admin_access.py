"""The admin is head office's: every domain ModelAdmin, its history views included, is closed to branch
staff whatever Django permissions they hold (core.admin_tools.HeadOfficeOnlyMixin)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.admin_tools import HeadOfficeOnlyMixin, ServiceAdminMixin
from tests.admin.helpers import staff_with_all_permissions

OUR_APPS = {"core", "staff", "clients", "circles", "chains", "groups", "services", "risk", "imports", "demo",
            "cohorts"}
DOMAIN_ADMINS = sorted(
    ((model, model_admin) for model, model_admin in admin.site._registry.items()
     if model._meta.app_label in OUR_APPS),
    key=lambda pair: pair[0]._meta.label,
)
# Admins whose add page head office may open (the model has a create service, or no service is needed).
ADDABLE = {"clients.Enterprise", "clients.Person", "clients.GroupClient", "clients.ControlLink",
           "clients.FinancialStatement", "clients.BankAccount", "clients.Interaction", "circles.CircleMember",
           "circles.Guarantee", "chains.ChainLink", "staff.Branch", "staff.StaffProfile"}
READ_ONLY = {"clients.GroupMembership", "clients.EnterpriseClaim", "clients.ChangeRequest"}
# Not written through a domain service, on purpose: staff profiles (no service yet), job runs and outbox
# messages (written by the jobs and core.outbox; core's admin keeps them read-only) and source systems
# (reference data head office keeps).
# A new admin that writes must use ServiceAdminMixin or be listed here.
NO_SERVICE = {"staff.StaffProfile", "core.JobRun", "core.OutboxMessage", "imports.SourceSystem"}


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_domain_model_admin_is_registered_and_head_office_only():
    labels = {model._meta.label for model, _ in DOMAIN_ADMINS}
    assert ADDABLE | READ_ONLY <= labels
    assert "chains.Flow" not in labels  # the big table is written by imports only, never in the admin
    assert "clients.GroupMembership" in labels
    for model, model_admin in DOMAIN_ADMINS:
        assert isinstance(model_admin, HeadOfficeOnlyMixin), model._meta.label


def test_every_domain_admin_that_writes_goes_through_the_services():
    """Anything that can add, change or delete in the admin does it through ServiceAdminMixin."""
    for model, model_admin in DOMAIN_ADMINS:
        if model._meta.label in READ_ONLY | NO_SERVICE:
            continue
        assert isinstance(model_admin, ServiceAdminMixin), model._meta.label


@pytest.mark.parametrize(("model", "model_admin"), DOMAIN_ADMINS, ids=[m._meta.label for m, _ in DOMAIN_ADMINS])
def test_branch_head_with_every_permission_gets_403_and_head_office_gets_200(bank, client_as, model, model_admin):
    head = staff_with_all_permissions(bank.head_gy)
    c = client_as(head)
    assert c.get(_url(model, "changelist")).status_code == 403
    assert c.get(_url(model, "add")).status_code == 403

    hq = staff_with_all_permissions(bank.hq)
    c = client_as(hq)
    assert c.get(_url(model, "changelist")).status_code == 200
    label = model._meta.label
    add_status = c.get(_url(model, "add")).status_code
    if label in ADDABLE:
        assert add_status == 200
    elif label in READ_ONLY:
        assert add_status == 403
    else:  # an admin added later: head office may open it, whatever it allows
        assert add_status in (200, 403)


def test_branch_staff_see_no_domain_app_in_the_admin(bank, client_as):
    """Branch staff are refused the whole admin site, even as is_staff with every permission
    (core.admin_site; tests/core/test_admin_refusal.py has the page)."""
    head = staff_with_all_permissions(bank.head_gy)
    assert client_as(head).get(reverse("admin:index")).status_code == 403
    for app_label in ("clients", "circles", "chains", "staff", "core"):
        assert client_as(head).get(reverse("admin:app_list", args=[app_label])).status_code == 403


def test_head_office_sees_the_domain_apps(bank, client_as):
    hq = staff_with_all_permissions(bank.hq)
    apps = {app["app_label"] for app in client_as(hq).get(reverse("admin:index")).context["app_list"]}
    assert {"clients", "circles", "chains", "staff", "core"} <= apps


def test_head_office_opens_the_history_views_and_branch_staff_do_not(bank, client_as):
    from clients.models import GroupClient

    url = reverse("admin:clients_groupclient_history", args=[bank.group_gy.pk])
    assert client_as(staff_with_all_permissions(bank.head_gy)).get(url).status_code == 403
    assert client_as(staff_with_all_permissions(bank.hq)).get(url).status_code == 200

    version = GroupClient.history.filter(id=bank.group_gy.pk).latest("history_date")
    version_url = reverse("admin:clients_groupclient_simple_history", args=[bank.group_gy.pk, version.history_id])
    assert client_as(staff_with_all_permissions(bank.head_gy)).get(version_url).status_code == 403
    c = client_as(staff_with_all_permissions(bank.hq))
    assert c.get(version_url).status_code == 200
    # Reverting would write past the services: refused, and nothing changes.
    assert c.post(version_url, {"name": "reverted"}).status_code == 403
    bank.group_gy.refresh_from_db()
    assert bank.group_gy.name != "reverted"


def test_a_superuser_is_head_office(bank, client_as):
    bank.outsider.is_staff = True
    bank.outsider.is_superuser = True
    bank.outsider.save()
    c = client_as(bank.outsider)
    assert c.get(reverse("admin:clients_enterprise_changelist")).status_code == 200


def test_staff_without_model_permissions_get_403_even_at_head_office(bank, client_as):
    bank.hq.is_staff = True
    bank.hq.save()
    bank.hq.user_permissions.set(Permission.objects.filter(codename="view_enterprise"))
    c = client_as(bank.hq)
    assert c.get(reverse("admin:clients_enterprise_changelist")).status_code == 200
    assert c.get(reverse("admin:clients_groupclient_changelist")).status_code == 403
    assert c.get(reverse("admin:clients_enterprise_add")).status_code == 403
