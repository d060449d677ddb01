"""Activity reports are entered with their initiative (an inline in the initiative's admin)
or on their own list."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from maillage.indicators.services import note_data_change

from .models import ActivityReport


class ActivityReportInline(admin.TabularInline):
    model = ActivityReport
    extra = 0
    fields = ["year", "metric", "value", "source"]


@admin.register(ActivityReport)
class ActivityReportAdmin(admin.ModelAdmin):
    list_display = ["initiative", "year", "metric", "value", "source"]
    list_filter = ["year", "metric"]
    search_fields = ["initiative__name", "=initiative__id"]
    raw_id_fields = ["initiative"]
    exclude = ["reported_by"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.reported_by = request.user
        super().save_model(request, obj, form, change)
        note_data_change("activité déclarée")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        note_data_change("activité supprimée")
