"""Load the impact coefficients from data/coefficients.json.

Why a data migration: every impact estimate multiplies activity by these coefficients, so the
table must hold the project's sourced values from the first start — on a laptop, a server and
the test databases that pytest-django builds by running migrations — and administrators must
find them in the administration to edit them. A data migration is the one step all of them
share; `maillage impacts --load-coefficients` loads the file again after it changes
(coefficients edited in the administration are kept).

It calls `sync_coefficients` with the historical models of this migration. Reversing it keeps
the rows (they go with the tables when 0003 is reversed).
"""

from django.db import migrations


def load(apps, schema_editor):
    from maillage.impacts.coefficients import sync_coefficients

    sync_coefficients(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("impacts", "0003_coefficients"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
