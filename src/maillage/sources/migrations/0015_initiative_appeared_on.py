from django.db import migrations


def mark_appeared(apps, schema_editor):
    """Initiatives that a later harvest of their source brought (absent from its first one)
    appeared then: without this, the indicators' « apparues » would start from zero although
    the harvests saw them come. Those of a first harvest stay empty (first imported)."""
    Source = apps.get_model("sources", "Source")
    HarvestJob = apps.get_model("sources", "HarvestJob")
    SourceRecord = apps.get_model("sources", "SourceRecord")
    Initiative = apps.get_model("catalog", "Initiative")
    done = ["done", "done-with-errors"]
    for source in Source.objects.all():
        first = (
            HarvestJob.objects.filter(source=source, dry_run=False, status__in=done)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if first is None:
            continue
        later = SourceRecord.objects.filter(
            source=source, first_seen_job_id__gt=first, initiative__isnull=False
        ).values_list("initiative_id", "first_seen_job__started_at")
        by_day: dict = {}
        for initiative_id, started_at in later:
            if started_at is not None:
                by_day.setdefault(started_at.date(), []).append(initiative_id)
        for day, ids in by_day.items():
            for start in range(0, len(ids), 500):
                Initiative.objects.filter(
                    pk__in=ids[start : start + 500], appeared_on__isnull=True
                ).update(appeared_on=day)


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0014_source_coverage"),
        ("catalog", "0012_initiative_appeared_on"),
    ]

    operations = [migrations.RunPython(mark_appeared, migrations.RunPython.noop)]
