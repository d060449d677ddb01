"""Read-only views of dedupe runs, pairs and merges; decisions are taken on /doublons/."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import DedupeRun, DuplicatePair, Merge


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DedupeRun)
class DedupeRunAdmin(ReadOnly):
    list_display = ["pk", "started_at", "dry_run", "initiatives", "candidates", "auto_merged",
                    "to_review", "cross_source_pairs"]  # fmt: skip


@admin.register(DuplicatePair)
class DuplicatePairAdmin(ReadOnly):
    list_display = ["pk", "left", "right", "score", "status", "decided_by", "decided_at"]
    list_filter = ["status"]
    raw_id_fields = ["left", "right"]


@admin.register(Merge)
class MergeAdmin(ReadOnly):
    list_display = [
        "pk",
        "survivor",
        "absorbed",
        "automatic",
        "merged_by",
        "merged_at",
        "undone_at",
    ]
    raw_id_fields = ["survivor", "absorbed", "pair"]
