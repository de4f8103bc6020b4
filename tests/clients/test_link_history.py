"""The enterprise page shows who added, changed and removed the control links above and below it."""

from decimal import Decimal

from django.urls import reverse

from clients.services import control_link_create, control_link_delete, control_link_update
from tests.factories import EnterpriseFactory


def test_link_changes_are_listed_with_who_and_what(bank, client_as):
    core = bank.group_gy.core_enterprise
    newco = EnterpriseFactory(rm=bank.rm_gy1, name="历史测试子公司")
    link = control_link_create(user=bank.rm_gy1, parent_enterprise=core, child=newco, share_pct=Decimal("51"))
    control_link_update(user=bank.head_gy, link=link, share_pct=Decimal("80"))
    control_link_delete(user=bank.rm_gy1, link=link)

    response = client_as(bank.rm_gy1).get(reverse("clients:enterprise_detail", kwargs={"pk": core.pk}))
    rows = [h for h in response.context["link_history"] if h.child_id == newco.pk]
    assert [(h.history_type, h.share_pct, h.history_user.username) for h in rows] == [
        ("-", Decimal("80"), "rm_gy1"), ("~", Decimal("80"), "head_gy"), ("+", Decimal("51"), "rm_gy1"),
    ]
    html = response.content.decode()
    assert "历史测试子公司" in html and "Control link history" in html


