# The activity reports' table takes the catalog's name, and the content type follows it (so
# that permissions given to staff on activity reports and the admin's log keep pointing at it).

from django.db import migrations


def content_type_to_catalog(apps, schema_editor):
    content_types = apps.get_model('contenttypes', 'ContentType')
    if not content_types.objects.filter(app_label='catalog', model='activityreport').exists():
        content_types.objects.filter(app_label='impacts', model='activityreport').update(
            app_label='catalog'
        )


def content_type_to_impacts(apps, schema_editor):
    content_types = apps.get_model('contenttypes', 'ContentType')
    if not content_types.objects.filter(app_label='impacts', model='activityreport').exists():
        content_types.objects.filter(app_label='catalog', model='activityreport').update(
            app_label='impacts'
        )


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0009_activityreport_from_impacts'),
        ('impacts', '0002_activityreport_to_catalog'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterModelTable(name='activityreport', table=None),
        migrations.RunPython(content_type_to_catalog, content_type_to_impacts),
    ]
