# The activity reports now belong to the catalog (catalog 0009 took them, on the same table):
# drop the model from this app's state only; the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('impacts', '0001_initial'),
        ('catalog', '0009_activityreport_from_impacts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ActivityReport')],
            database_operations=[],
        ),
    ]
