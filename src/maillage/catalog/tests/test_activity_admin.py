"""Activity reports are entered in the administration, with their initiative or on their own,
and mark the territorial figures out of date."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from maillage.catalog.models import ActivityReport
from maillage.catalog.services import create_initiative
from maillage.indicators.models import DataChange


@pytest.fixture
def repair_cafe(referential):
    return create_initiative(
        name="Repair café de Pardies", category="repair-cafe", insee_code="64443"
    )


def test_a_report_entered_in_the_admin_is_attributed_and_noted(client, repair_cafe):
    admin = get_user_model().objects.create_superuser("admin", password="x")
    client.force_login(admin)
    before = DataChange.objects.get(pk=1).changed_at
    response = client.post(
        "/admin/catalog/activityreport/add/",
        {"initiative": repair_cafe.pk, "year": 2025, "metric": "repairs-succeeded", "value": 180,
         "source": "bilan annuel de l'association"},
    )  # fmt: skip
    assert response.status_code == 302
    report = ActivityReport.objects.get()
    assert (report.reported_by, report.value) == (admin, 180)
    assert DataChange.objects.get(pk=1).changed_at > before
    page = client.get(f"/admin/catalog/initiative/{repair_cafe.pk}/change/")
    assert "activités déclarées" in page.content.decode().lower()


def test_one_value_per_metric_and_year_and_never_negative(repair_cafe):
    ActivityReport.objects.create(initiative=repair_cafe, year=2025, metric="participants", value=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityReport.objects.create(
            initiative=repair_cafe, year=2025, metric="participants", value=6
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityReport.objects.create(
            initiative=repair_cafe, year=2024, metric="participants", value=-1
        )
