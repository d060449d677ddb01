"""Load the typology (families, categories, exchange modes) from data/typology.json.

Why a data migration: every database must hold the typology before any initiative can be
classified — a fresh laptop install, a server, and the test databases that pytest-django builds
by running migrations. A data migration is the one step all of them share; `maillage
load-typology` runs the same function again after the file changes.

It calls `sync_typology` with the historical models of this migration, so fields added by later
migrations are skipped here and filled by the next sync. Reversing it keeps the rows (they are
removed with the tables by reversing 0001).
"""

from django.db import migrations


def load(apps, schema_editor):
    from maillage.catalog.typology import sync_typology

    sync_typology(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
