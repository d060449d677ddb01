"""Admin in French: coefficients are edited here (every change kept in their history, a new
version when a value changes), and territories enter their own values with their source."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from maillage.catalog.forms import formfield, https_by_default

from . import services
from .coefficients import typology_codes
from .models import Coefficient, CoefficientOverride


class HttpsByDefault(admin.ModelAdmin):
    """A source typed without its scheme is a web page in https."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return super().formfield_for_dbfield(
            db_field, request, **https_by_default(kwargs, db_field)
        )


class CoefficientForm(forms.ModelForm):
    class Meta:
        model = Coefficient
        fields = [
            "key", "categories", "practice_fr", "quantity_fr", "unit", "low", "central", "high",
            "source_text", "source_url", "checked_on", "contested", "contested_note", "note_fr",
        ]  # fmt: skip
        formfield_callback = formfield  # a source typed without its scheme is https

    def clean_categories(self) -> list[str]:
        codes = self.cleaned_data.get("categories") or []
        if not isinstance(codes, list):
            raise ValidationError(_("Une liste de codes de catégorie est attendue."))
        unknown = sorted(set(codes) - typology_codes())
        if unknown:
            raise ValidationError(
                _("Catégories absentes de la typologie : %(codes)s") % {"codes": ", ".join(unknown)}
            )
        return codes


@admin.register(Coefficient)
class CoefficientAdmin(HttpsByDefault, SimpleHistoryAdmin):
    form = CoefficientForm
    list_display = [
        "key",
        "quantity_fr",
        "low",
        "central",
        "high",
        "unit",
        "contested",
        "version",
        "edited_at",
    ]
    list_filter = ["contested", "origin"]
    search_fields = ["key", "practice_fr", "quantity_fr", "source_text"]
    readonly_fields = ["version", "origin", "edited_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Formulas read a coefficient by its key: it never changes once created.
        return [*self.readonly_fields, "key"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Coefficient, form: Any, change: bool) -> None:
        services.save_coefficient(obj, list(form.changed_data) if change else None)


@admin.register(CoefficientOverride)
class CoefficientOverrideAdmin(HttpsByDefault, SimpleHistoryAdmin):
    list_display = [
        "coefficient",
        "territory",
        "low",
        "central",
        "high",
        "created_by",
        "updated_at",
    ]
    list_filter = ["coefficient"]
    search_fields = ["coefficient__key", "territory__name", "territory__id", "source_text"]
    raw_id_fields = ["territory"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    list_select_related = ["coefficient", "territory", "created_by"]

    def save_model(
        self, request: HttpRequest, obj: CoefficientOverride, form: Any, change: bool
    ) -> None:
        services.save_override(obj, request.user)

    def delete_model(self, request: HttpRequest, obj: CoefficientOverride) -> None:
        services.delete_overrides([obj])

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        services.delete_overrides(list(queryset))
