"""Page timings on a generated data set, as ratios against a trivial page measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_scale \
        .venv/bin/python -m bench.pages [--repeat 15]

The database must hold a data set built by `manage.py seed_demo --groups N --flows M` (the demo app,
`demo/`; the figures in bench/README.md are for 10,000 groups and 1,000,000 flows). For each page it prints the median
time over the repeats, the ratio to the floor (the login page: template rendering with no data), and
the number of SQL queries, which must not depend on the size of the data.
"""

import argparse
import os
import statistics
import time
from urllib.parse import quote

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def measure(client, url, repeat):
    """(median seconds, queries, bytes) of `url`: warmed once, timed `repeat` times, counted once more."""
    client.get(url)  # warm caches and connections
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return statistics.median(times), len(queries), len(response.content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]

    from chains.models import Flow
    from clients.models import Enterprise, GroupClient

    biggest = GroupClient.objects.annotate(n=Count("memberships")).order_by("-n").first()
    busiest = GroupClient.objects.get(core_enterprise_id=Flow.objects.values("payer_id").annotate(
        n=Count("id")).order_by("-n").values_list("payer_id", flat=True)[0]) if GroupClient.objects.filter(
        core_enterprise_id__in=Flow.objects.values("payer_id")).exists() else biggest
    user_model = get_user_model()
    hq = user_model.objects.get(username="hq")
    rm = user_model.objects.get(username="rm_gy1")

    anonymous = Client()
    floor, floor_q, _size = measure(anonymous, "/login/", args.repeat)
    rows = [("login page (floor)", floor, floor_q)]
    pages = [
        (rm, "group list (rm_gy1)", "/clients/groups/"),
        (hq, "group list (hq, all groups)", "/clients/groups/"),
        (hq, "group list search (hq)", "/clients/groups/?q=%E6%B1%BD%E8%BD%A6"),
        (hq, f"group 360 ({biggest.memberships.count()} members)", f"/clients/groups/{biggest.pk}/"),
        (hq, "enterprise list (hq)", "/clients/enterprises/"),
        (hq, "enterprise page (core)", f"/clients/enterprises/{biggest.core_enterprise_id}/"),
        (hq, "circle page", f"/circles/groups/{busiest.pk}/"),
        (hq, "chain page", f"/chains/groups/{busiest.pk}/"),
    ]
    # Search (clients.search): two-character Chinese words, pinyin initials and full pinyin, a partial
    # credit code; the header box's results page and dropdown, the list filters and the API's `?q=`.
    code_part = GroupClient.objects.order_by("pk").values_list("core_enterprise__uscc", flat=True).first()[8:14]
    pages += [
        (rm, "group list search 汽车 (rm_gy1)", f"/clients/groups/?q={quote('汽车')}"),
        (hq, "enterprise list search 建材 (hq)", f"/clients/enterprises/?q={quote('建材')}"),
        (hq, "search page 建材 (hq)", f"/search/?q={quote('建材')}"),
        (rm, "search page 建材 (rm_gy1)", f"/search/?q={quote('建材')}"),
        (hq, "search page gzmt (hq)", "/search/?q=gzmt"),
        (hq, "search page guizhou (hq)", "/search/?q=guizhou"),
        (hq, f"search page code part {code_part} (hq)", f"/search/?q={code_part}"),
        (hq, "search dropdown 汽车 (hq)", f"/search/suggest/?q={quote('汽车')}"),
        (rm, "search dropdown gz (rm_gy1)", "/search/suggest/?q=gz"),
        (hq, "API group clients (hq)", "/api/v1/group-clients/"),
        (hq, "API group clients ?q=汽车 (hq)", f"/api/v1/group-clients/?q={quote('汽车')}"),
        (hq, "API enterprises ?q=建材 (hq)", f"/api/v1/enterprises/?q={quote('建材')}"),
    ]
    # Landing pages per role and the lists' sorts and filters (clients.landing, core.sorting).
    head, risk = (user_model.objects.get(username=name) for name in ("head_gy", "risk_gy"))
    pages += [
        (rm, "landing (rm_gy1)", "/"),
        (head, "landing (head_gy)", "/"),
        (risk, "landing (risk_gy: limit use of the branch)", "/"),
        (hq, "landing (hq)", "/"),
        (hq, "group list by limit use (hq, all groups)", "/clients/groups/?sort=-limit_use"),
        (hq, "group list by lead RM, pinyin (hq)", "/clients/groups/?sort=lead_rm"),
        (head, "group list mine / sub-branch (head_gy)", f"/clients/groups/?sort=-limit&sub_branch={rm.profile.branch_id}"),
        (hq, "enterprise list by RM, pinyin (hq)", "/clients/enterprises/?sort=-rm"),
    ]
    for user, label, url in pages:
        client = Client()
        client.force_login(user)
        median, n_queries, _size = measure(client, url, args.repeat)
        rows.append((label, median, n_queries))
    # The chain page with 10,000 links awaiting review (bench/chain_queue.py: added, measured, rolled back).
    from bench.chain_queue import chain_queue_rows

    rows += [(label, median, n_queries) for label, median, n_queries, _size in chain_queue_rows(args.repeat)]

    counts = {
        "groups": GroupClient.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "flows": Flow.objects.count(),
    }
    print(f"data set: {counts}; repeats: {args.repeat}")
    print(f"{'page':45} {'median ms':>10} {'x floor':>8} {'queries':>8}")
    for label, median, n_queries in rows:
        print(f"{label:45} {median * 1000:10.1f} {median / floor:8.1f} {n_queries:8d}")


if __name__ == "__main__":
    main()
