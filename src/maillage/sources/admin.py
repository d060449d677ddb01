from django.contrib import admin
from django.http import HttpRequest

from .models import HarvestItem, HarvestJob, Source, SourceRecord


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "label",
        "backend",
        "licence",
        "default_category",
        "moderation",
        "harvest_every_days",
        "next_harvest_at",
    ]
    search_fields = ["name", "label"]


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
