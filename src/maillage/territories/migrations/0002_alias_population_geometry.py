from django.db import migrations, models


class Migration(migrations.Migration):
    """Municipal arrondissements keep their population and outline (filled by the next
    `maillage load-referential`, which `make setup` runs: the loader's code changed, so the
    referential is reloaded and every arrondissement alias is updated)."""

    dependencies = [
        ("territories", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="territoryalias",
            name="population",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="population municipale"
            ),
        ),
        migrations.AddField(
            model_name="territoryalias",
            name="geometry",
            field=models.BinaryField(blank=True, editable=False, null=True),
        ),
    ]
