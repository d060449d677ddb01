"""Load the mapping table NAF → typology from data/naf_typology.json.

Why a data migration: the table must hold the project's rules before the first register
import (every count it writes is tied to the typology through them) and be editable in the
administration from the first start, on a laptop, a server and the test databases that
pytest-django builds by running migrations. A data migration is the one step all of them
share; `maillage registers mapping --load` loads the file again after it changes (rules
edited in the administration are kept).

It calls `sync_rules` with the historical models of this migration. Reversing it keeps the
rows (they go with the tables when 0001 is reversed).
"""

from django.db import migrations


def load(apps, schema_editor):
    from maillage.registers.mapping import sync_rules

    sync_rules(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("registers", "0001_initial"),
        ("catalog", "0002_load_typology"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
