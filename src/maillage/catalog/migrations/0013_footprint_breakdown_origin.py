from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0012_initiative_appeared_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="platformfootprint",
            name="breakdown",
            field=models.JSONField(
                blank=True, default=dict, verbose_name="détail par arrondissement"
            ),
        ),
        migrations.AddField(
            model_name="platformfootprint",
            name="origin",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=100,
                verbose_name="source d'import",
            ),
        ),
    ]
