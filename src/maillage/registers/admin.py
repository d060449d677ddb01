"""Admin in French: the mapping table is edited here (every change kept in its history, the
series rebuilt at once); imports of register files and loads of the table are read-only."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import mapping, services
from .models import MappingLoad, NafRule, RegisterImport


class NafRuleForm(forms.ModelForm):
    class Meta:
        model = NafRule
        fields = [
            "naf", "nomenclature", "legal_forms", "ess", "category", "activity",
            "rationale_fr", "rationale_en",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        """The same checks as the project file's (mapping.read_mapping), and no second rule
        with the same code, nomenclature and conditions."""
        data = super().clean() or {}
        entry = {
            "naf": data.get("naf") or "",
            "nomenclature": data.get("nomenclature") or "",
            "legal_forms": data.get("legal_forms") or [],
            "ess": data.get("ess") or "",
            "category": data["category"].code if data.get("category") else None,
            "rationale_fr": data.get("rationale_fr") or "",
        }
        try:
            rule = mapping.checked_rule(entry)
        except mapping.MappingError as exc:
            raise ValidationError(str(exc)) from exc
        data["naf"], data["legal_forms"] = rule.naf, list(rule.legal_forms)
        same = NafRule.objects.filter(
            naf=rule.naf, nomenclature=rule.nomenclature, ess=rule.ess
        ).exclude(pk=self.instance.pk)
        if any(sorted(other.legal_forms or []) == list(rule.legal_forms) for other in same):
            raise ValidationError(
                _("Une règle existe déjà pour ce code, cette nomenclature et ces conditions.")
            )
        return data


@admin.register(NafRule)
class NafRuleAdmin(SimpleHistoryAdmin):
    form = NafRuleForm
    list_display = [
        "naf",
        "nomenclature",
        "legal_forms",
        "ess",
        "category",
        "activity",
        "origin",
        "edited_at",
    ]
    list_filter = ["nomenclature", "category", "origin"]
    search_fields = ["naf", "activity", "rationale_fr"]
    readonly_fields = ["origin", "edited_at"]

    def save_model(self, request: HttpRequest, obj: NafRule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.rule_saved(obj)

    def delete_model(self, request: HttpRequest, obj: NafRule) -> None:
        super().delete_model(request, obj)
        services.rebuild_series()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[NafRule]) -> None:
        super().delete_queryset(request, queryset)
        services.rebuild_series()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RegisterImport)
class RegisterImportAdmin(ReadOnlyAdmin):
    list_display = [
        "source",
        "register",
        "vintage",
        "rows",
        "establishments",
        "current",
        "imported_at",
    ]
    list_filter = ["register", "current"]
    exclude = ["issues"]


@admin.register(MappingLoad)
class MappingLoadAdmin(ReadOnlyAdmin):
    list_display = ["version", "loaded_at", "file_sha256"]
