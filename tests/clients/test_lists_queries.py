"""Query budgets of the landing page (every role) and of the sorted, filtered lists: absolute counts,
the same on small data and on many times more groups, members, balances and requests."""

import pytest
from django.urls import reverse

from clients.approvals import transfer_request
from tests.clients.helpers import big_group
from tests.clients.lists_helpers import group_with
from tests.querycount import count_queries

# (persona, url name, query) -> queries. The landing: session, user, scope, base.html's profile, then
# the panels' figures (clients.landing: each an aggregate or a bounded list): RM 5 (groups' totals,
# clients, pending requests and their count, groups by limit use) and the workbench's open needs 3 (products
# and groups offered, count and value; the page itself is skipped when there is no need; the needs job's
# last run); branch head and
# head office 5 (the branch tree, groups and clients per branch, requests awaiting approval and their
# count) and open needs by product 2; risk officer
# 3 (totals, the limit use of every group in reach once, the flagged rows shown). Lists: the totals query counts the pages;
# branch heads and head office add the branch and RM choices (2).
PINNED = {
    ("rm_gy1", "home", ""): 14,  # + risk.panels "My alerts" (one bounded list)
    ("head_gy", "home", ""): 11,
    ("risk_gy", "home", ""): 9,  # + risk.panels: open alerts by severity (one aggregate), newest high (one list)
    ("hq", "home", ""): 11,
    ("outsider", "home", ""): 4,
    ("rm_gy1", "clients:group_list", "sort=-limit_use&mine=covered"): 6,
    ("head_gy", "clients:group_list", "sort=lead_rm&sub_branch=0"): 8,
    ("hq", "clients:group_list", "sort=-members&branch=0"): 8,
    ("head_gy", "clients:enterprise_list", "sort=-rm&is_client=true"): 6,
}


def _measure(bank, client_as):
    out = {}
    for (persona, name, query), _n in PINNED.items():
        url = reverse(name) + (f"?{query.replace('=0', f'={bank.gy.pk}')}" if query else "")
        out[(persona, name, query)] = count_queries(client_as(getattr(bank, persona)), url, label=f"{persona} {name}")
    return out


@pytest.mark.django_db
def test_landing_and_list_queries_do_not_grow_with_the_data(bank, client_as):
    _measure(bank, client_as)  # warm-up
    small = _measure(bank, client_as)
    for i in range(12):
        group_with(name=f"计数测试集团{i}", branch=bank.gy2 if i % 2 else bank.gy1, lead_rm=bank.rm_gy1,
                   limit="1000", loans=str(800 + 30 * i), team=[bank.rm_gy2])
    big_group(name="计数大集团", branch=bank.gy1, lead_rm=bank.rm_gy1, members=60)
    for _ in range(12):
        transfer_request(user=bank.rm_gy1, group=bank.group_gy, team=[bank.rm_gy2])
    large = _measure(bank, client_as)
    wrong = {k: (n, small[k], large[k]) for k, n in PINNED.items() if not n == small[k] == large[k]}
    assert wrong == {}, "(pinned, small, large): " + repr(wrong)
