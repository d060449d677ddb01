from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from maillage.catalog.signals import announce_inventory_change

from . import coverage
from .models import HarvestItem, HarvestJob, Source, SourceRecord

# What changes the figures when it changes (coverage decides « non couvert »).
COVERAGE_FIELDS = ("coverage_categories", "coverage_area", "data_vintage", "licence")


class SourceForm(forms.ModelForm):
    """The admin's form (its fields come from the admin) checking the declared coverage."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        categories, area = cleaned.get("coverage_categories"), cleaned.get("coverage_area")
        for name, value in (("coverage_categories", categories), ("coverage_area", area)):
            if value is not None and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                self.add_error(name, _('Une liste de codes entre crochets, par exemple ["fr"].'))
                return cleaned
        for problem in coverage.problems(categories or [], area or []):
            self.add_error(None, problem)
        return cleaned


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = [
        "name",
        "label",
        "backend",
        "licence",
        "coverage_categories",
        "coverage_area",
        "coverage_proposed",
        "data_vintage",
        "moderation",
        "harvest_every_days",
        "next_harvest_at",
    ]
    list_filter = ["coverage_proposed"]
    search_fields = ["name", "label"]

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if set(COVERAGE_FIELDS) & set(form.changed_data):
            announce_inventory_change(Source, f"couverture de la source {obj.name}")


@admin.register(HarvestJob)
class HarvestJobAdmin(admin.ModelAdmin):
    list_display = ["id", "source", "status", "dry_run", "rows", "created_at", "started_by"]
    list_filter = ["status", "dry_run", "source"]
    list_select_related = ["source", "started_by"]
    readonly_fields = [f.name for f in HarvestJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs come from `maillage import` and the import pages


@admin.register(HarvestItem)
class HarvestItemAdmin(admin.ModelAdmin):
    list_display = ["job", "row_number", "remote_id", "outcome", "category", "commune_id"]
    list_filter = ["outcome", "job__source"]
    search_fields = ["remote_id"]
    list_select_related = ["job__source"]
    readonly_fields = [f.name for f in HarvestItem._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SourceRecord)
class SourceRecordAdmin(admin.ModelAdmin):
    list_display = ["source", "remote_id", "initiative", "archived_at"]
    list_filter = ["source", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["remote_id", "initiative__name"]
    list_select_related = ["source", "initiative"]
    raw_id_fields = ["initiative", "first_seen_job", "last_changed_job"]
