"""Link detection runs move to core.JobRun (job "detect_chain_links", the group as subject): the
recorded runs are copied over, then LinkDetectionRun is dropped."""

from django.db import migrations

LINK_DETECTION_JOB = "detect_chain_links"  # chains.models.LINK_DETECTION_JOB when this was written


def copy_runs(apps, schema_editor):
    LinkDetectionRun = apps.get_model("chains", "LinkDetectionRun")
    JobRun = apps.get_model("core", "JobRun")
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not LinkDetectionRun.objects.using(db).exists():
        return
    group_type, _ = ContentType.objects.using(db).get_or_create(app_label="clients", model="groupclient")
    runs = LinkDetectionRun.objects.using(db).order_by("pk")
    batch = []
    for run in runs.iterator(chunk_size=2000):
        batch.append(JobRun(
            job=LINK_DETECTION_JOB, subject_type_id=group_type.pk, subject_id=run.group_id,
            started_at=run.started_at, finished_at=run.finished_at,
            # The old rows were written in the detection's transaction, so they all have an end;
            # one without would be a run that never finished.
            status="success" if run.finished_at else "failed",
            counts={"proposed": run.proposed, "period_start": run.period_start.isoformat(),
                    "period_end": run.period_end.isoformat()},
        ))
        if len(batch) >= 2000:
            JobRun.objects.using(db).bulk_create(batch)
            batch = []
    JobRun.objects.using(db).bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ("chains", "0002_linkdetectionrun"),
        ("clients", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_jobrun_subject"),
    ]

    operations = [
        migrations.RunPython(copy_runs, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(
            name="LinkDetectionRun",
        ),
    ]
