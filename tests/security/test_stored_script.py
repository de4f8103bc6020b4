"""Names with markup, as rendered by the server: every page prints them escaped, and the chart data
travels as JSON inside <script type="application/json"> with `<` escaped, so it cannot close the tag.
(What the browser does with them, tooltips included: tests/browser/test_xss_csp.py.)"""

import json
import re

import pytest
from django.urls import reverse

from chains.models import ChainLink
from circles.models import CircleMember
from tests.factories import EnterpriseFactory, FlowFactory

pytestmark = pytest.mark.django_db

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"


@pytest.fixture
def hostile(bank):
    group = bank.group_gy
    group.name = IMG
    group.save(update_fields=["name"])
    core = group.core_enterprise
    member = group.memberships.exclude(enterprise=core).first().enterprise
    member.name = SCRIPT
    member.save(update_fields=["name"])
    supplier = EnterpriseFactory(name=IMG, is_client=False)
    ChainLink.objects.create(group=group, supplier=supplier, buyer=core, tier=-1, goods=SCRIPT)
    CircleMember.objects.create(group=group, enterprise=supplier, role="supplier", note=IMG)
    FlowFactory(payer=core, payee=supplier)
    return group, member, supplier


@pytest.mark.parametrize("persona", ["head_gy", "hq"])
def test_pages_print_markup_in_names_as_text(hostile, bank, client_as, persona):
    group, member, supplier = hostile
    client = client_as(getattr(bank, persona))
    urls = [
        reverse("clients:group_list"),
        reverse("clients:group_detail", args=[group.pk]),
        reverse("circles:group_circle", args=[group.pk]),
        reverse("chains:group_chain", args=[group.pk]),
        reverse("clients:enterprise_detail", args=[member.pk]),
        reverse("clients:enterprise_detail", args=[supplier.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<img" not in html and "<script>window" not in html, url
        assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in html or "\\u003Cimg" in html, url


def test_chart_data_carries_the_names_unchanged_as_json(hostile, bank, client_as):
    group, member, supplier = hostile
    html = client_as(bank.hq).get(reverse("chains:group_chain", args=[group.pk])).content.decode()
    raw = re.search(r'<script id="sankey-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in raw
    labels = {node["label"] for node in json.loads(raw)["nodes"]}
    assert IMG in labels  # the data is exact: escaping is the drawing code's job, as text
