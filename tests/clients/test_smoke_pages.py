import pytest
from django.urls import reverse


@pytest.mark.parametrize("name", ["group_list", "enterprise_list", "group_create", "enterprise_create"])
def test_pages_render_for_rm(bank, client_as, name):
    r = client_as(bank.rm_gy1).get(reverse(f"clients:{name}"))
    assert r.status_code == 200, r.content[:2000]


def test_detail_pages_render_for_rm(bank, client_as):
    c = client_as(bank.rm_gy1)
    g = bank.group_gy
    for url in [
        reverse("clients:group_detail", args=[g.pk]),
        reverse("clients:group_edit", args=[g.pk]),
        reverse("clients:enterprise_detail", args=[g.core_enterprise_id]),
        reverse("clients:enterprise_edit", args=[g.core_enterprise_id]),
        reverse("clients:control_link_create", args=[g.core_enterprise_id]),
        reverse("clients:interaction_create", args=[g.core_enterprise_id]),
        reverse("clients:financial_statement_create", args=[g.core_enterprise_id]),
    ]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.content[:3000])
