from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0015_initiative_appeared_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="harvestjob",
            name="figures",
            field=models.JSONField(blank=True, default=dict, verbose_name="chiffres d'empreinte"),
        ),
    ]
