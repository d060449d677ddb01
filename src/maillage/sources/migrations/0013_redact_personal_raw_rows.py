"""Remove personal data from the raw rows already stored (issue 13, point 8).

Why a data migration rather than a `maillage` command: until now the importer dropped
facilitators' names, e-mails and phones from the initiatives but kept them in
`HarvestItem.raw` (dry-runs included). Keeping them there has no legal basis; a command
would leave them in every installation whose operator does not think of running it, while
a migration cleans each database once, at the upgrade that stops storing them.

Each stored row is read again by its job's backend and mapping and the cells the importer
now drops are replaced by « [donnée personnelle écartée] » (fields the mapping kept with a
legal basis, and organisations' switchboards and role addresses, stay). It uses the
importer's current rules (sources.personal_cleanup) so that old and new rows are treated
alike; only jobs whose format reads contact fields are looked at. Not reversible: the
removed values are not kept anywhere.
"""

from django.db import migrations


def redact(apps, schema_editor):
    from maillage.sources.personal_cleanup import redact_stored_rows

    redact_stored_rows(apps.get_model("sources", "HarvestItem").objects.all())


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0012_job_source_settings"),
    ]

    operations = [migrations.RunPython(redact, migrations.RunPython.noop)]
