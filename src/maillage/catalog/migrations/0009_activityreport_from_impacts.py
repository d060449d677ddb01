# Activity reports move from the impacts app to the catalog (they are data about the
# inventory, read by indicators and impacts, which sit above the catalog). This migration only
# takes the model into the catalog's state, on the impacts table as it is; impacts 0002 drops
# it from the impacts state, and 0010 renames the table. No row is copied or lost.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0008_published_and_partial_merged_index'),
        ('impacts', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ActivityReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='année')),
                        ('metric', models.CharField(choices=[('participants', 'participants ou usagers'), ('volunteers', 'bénévoles'), ('volunteer-hours', 'heures de bénévolat'), ('paid-fte', 'emplois salariés (ETP)'), ('budget-eur', 'budget (€)'), ('public-funding-share', 'part de financement public (0 à 1)'), ('tonnes-reused', 'tonnes réemployées'), ('repairs-attempted', 'réparations tentées'), ('repairs-succeeded', 'réparations réussies'), ('km-carpooled', 'km covoiturés'), ('kwh-produced', 'kWh produits'), ('local-currency-volume', 'monnaie locale en circulation')], max_length=40, verbose_name='mesure')),
                        ('value', models.FloatField(verbose_name='valeur')),
                        ('source', models.CharField(blank=True, help_text="Qui a donné le chiffre : l'initiative, un réseau, un rapport…", max_length=200, verbose_name='source')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='saisi le')),
                        ('initiative', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activity_reports', to='catalog.initiative', verbose_name='initiative')),
                        ('reported_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='saisi par')),
                    ],
                    options={
                        'verbose_name': 'activité déclarée',
                        'verbose_name_plural': 'activités déclarées',
                        'ordering': ['initiative_id', '-year', 'metric'],
                        'db_table': 'impacts_activityreport',
                        'constraints': [models.UniqueConstraint(fields=('initiative', 'year', 'metric'), name='one_value_per_metric_and_year'), models.CheckConstraint(condition=models.Q(('value__gte', 0)), name='activity_not_negative')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
