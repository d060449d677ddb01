from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0013_redact_personal_raw_rows"),
    ]

    operations = [
        migrations.AddField(
            model_name="harvestjob",
            name="figures",
            field=models.JSONField(blank=True, default=dict, verbose_name="chiffres d'empreinte"),
        ),
    ]
