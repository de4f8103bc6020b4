"""seed_demo's history baseline: every bulk-written row of a tracked model gets its "+" record, so the
first edit of a seeded record shows its diff (DESIGN.md section 4, History)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count

from circles.models import CircleMember, CircleSource
from clients.models import ChangeRequest, Enterprise, GroupClient
from clients.selectors import change_history
from clients.services import enterprise_update
from demo import seed as demo
from demo.history import history_model, m2m_history_models, tracked_models, write_baseline

AS_OF = dt.date(2026, 10, 31)
SMALL = {"groups": 8, "flows": 1500, "as_of": AS_OF}

pytestmark = pytest.mark.django_db

# Rows the seed writes through the services or their hooks, with their own history: the pending
# transfer request (created, then its sides set) and the circles' "control" members (the membership
# refresh's hook writes them with bulk_create_with_history, reason "control tree").
# Written through services or jobs that keep their own history (not bulk): a change request; the risk
# job's alerts and group proposals (dated the run); the concentration limits' one row (created on first read).
NOT_BULK = {"clients.ChangeRequest", "risk.RiskAlert", "risk.GroupProposal", "risk.RiskSettings"}


def seeded_rows(model):
    rows = model._base_manager.all()
    if model is CircleMember:
        rows = rows.exclude(source=CircleSource.CONTROL)
    return rows


def history_rows(model):
    historical = history_model(model)
    return historical._base_manager.filter(**{f"{model._meta.pk.name}__in": seeded_rows(model).values("pk")})


@pytest.fixture
def seeded():
    return demo.build(seed=2026, **SMALL)


def test_tracked_models_come_from_simple_history():
    labels = {m._meta.label for m in tracked_models()}
    assert {
        "clients.Enterprise",
        "clients.Person",
        "clients.GroupClient",
        "clients.ControlLink",
        "clients.FinancialStatement",
        "clients.BankAccount",
        "clients.Interaction",
        "circles.CircleMember",
        "circles.Guarantee",
        "chains.ChainLink",
    } <= labels
    assert not any(m._meta.auto_created for m in tracked_models())  # m2m through tables are not listed
    assert [f.name for f, _ in m2m_history_models(GroupClient)] == ["team"]


def test_every_seeded_row_of_a_tracked_model_has_exactly_one_creation_record(seeded):
    seed_time = Enterprise.objects.values_list("created_at", flat=True).first()
    checked = 0
    for model in tracked_models():
        label = model._meta.label
        rows = seeded_rows(model)
        count = rows.count()
        created = history_rows(model).filter(history_type="+")
        per_row = created.values(model._meta.pk.name).annotate(n=Count("history_id"))
        assert created.count() == count, label
        assert not per_row.exclude(n=1).exists(), label
        if label in NOT_BULK or not count:
            continue
        checked += 1
        # Bulk-written rows: that record and no other, dated the seed time, reason "seed", no author.
        assert history_rows(model).count() == count, label
        assert set(created.values_list("history_change_reason", "history_user_id", "history_date").distinct()) == {
            ("seed", None, seed_time)
        }, label
    assert checked >= 10


def test_group_teams_have_their_baseline_snapshot(seeded):
    through = GroupClient.team.through
    for group in GroupClient.objects.all():
        record = group.history.get(history_type="+")
        assert set(record.team.values_list("user_id", flat=True)) == set(
            through.objects.filter(groupclient=group).values_list("user_id", flat=True)
        )
    assert history_model(GroupClient).team.model.objects.count() == seeded["teams"]


def test_first_edit_of_a_seeded_enterprise_shows_its_diff(seeded):
    rm = get_user_model().objects.get(username="rm_gy1")
    enterprise = Enterprise.objects.for_user(rm).filter(led_group__isnull=True, is_client=True).first()
    old_name = enterprise.name
    enterprise_update(user=rm, enterprise=enterprise, name=f"{old_name}（更名）")
    entries = change_history(instance=enterprise)
    assert [e.kind for e in entries] == ["~", "+"]
    changes = {c.field: (c.old, c.new) for c in entries[0].changes}
    assert changes["name"] == (old_name, f"{old_name}（更名）")
    assert entries[0].user == rm and entries[1].user is None


def test_first_team_change_of_a_seeded_group_shows_only_the_new_member(seeded):
    group = GroupClient.objects.order_by("pk").first()
    before = set(group.team.values_list("pk", flat=True))
    newcomer = get_user_model().objects.exclude(pk__in=before).filter(username__startswith="rm").first()
    group.team.add(newcomer)
    entries = change_history(instance=group)
    (team,) = [c for c in entries[0].changes if c.field == "team"]
    # Against the baseline snapshot: the old team is the seeded one (not "—"), the new one adds one name.
    assert before and len(team.old.split(", ")) == len(before)
    assert len(team.new.split(", ")) == len(before) + 1
    assert newcomer.profile.display_name in team.new


def test_baseline_is_idempotent_and_the_orm_fallback_writes_the_same_records(seeded):
    when = Enterprise.objects.values_list("created_at", flat=True).first()
    assert all(b.records == b.m2m_records == 0 for b in write_baseline(when=when))

    def snapshot():
        out = {}
        for model in tracked_models():
            historical = history_model(model)
            fields = [f.attname for f in historical._meta.concrete_fields if f.name != "history_id"]
            out[model._meta.label] = sorted(
                history_rows(model).filter(history_change_reason="seed").values_list(*fields), key=str
            )
            for _f, snap in m2m_history_models(model):
                out[snap._meta.label] = sorted(
                    snap.objects.filter(history__history_change_reason="seed").values_list(
                        "id", *(f.attname for f in snap._meta.concrete_fields if f.is_relation and f.name != "history")
                    )
                )
        return out

    by_sql = snapshot()
    for model in tracked_models():
        for _f, snap in m2m_history_models(model):
            snap.objects.all().delete()
        history_model(model)._base_manager.filter(history_change_reason="seed").delete()
    done = write_baseline(when=when, use_sql=False, chunk_size=100)
    assert sum(b.records for b in done) == sum(len(v) for k, v in by_sql.items() if "_team" not in k.lower())
    assert snapshot() == by_sql


def test_bulk_create_path_gets_the_baseline_too():
    counts = demo.build(seed=5, use_copy=False, **SMALL)
    assert history_model(Enterprise).objects.filter(history_type="+").count() == counts["enterprises"]
    assert ChangeRequest.objects.count() == 1
