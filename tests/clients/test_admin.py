"""The clients admin is for head office: history views included, closed to branch staff."""

from django.urls import reverse

MODELS = ["enterprise", "person", "groupclient", "controllink", "groupmembership", "financialstatement",
          "bankaccount", "interaction"]


def test_head_office_opens_every_clients_admin_page_and_history(bank, client_as):
    bank.hq.is_staff = True
    bank.hq.is_superuser = True
    bank.hq.save()
    c = client_as(bank.hq)
    for model in MODELS:
        assert c.get(reverse(f"admin:clients_{model}_changelist")).status_code == 200, model
    assert c.get(reverse("admin:clients_groupclient_history", args=[bank.group_gy.pk])).status_code == 200


def test_branch_staff_with_model_permissions_still_cannot_use_the_clients_admin(bank, client_as):
    from django.contrib.auth.models import Permission

    bank.head_gy.is_staff = True
    bank.head_gy.save()
    bank.head_gy.user_permissions.set(Permission.objects.filter(content_type__app_label="clients"))
    c = client_as(bank.head_gy)
    assert c.get(reverse("admin:clients_enterprise_changelist")).status_code == 403
    assert "clients" not in [app["app_label"] for app in c.get(reverse("admin:index")).context["app_list"]]
