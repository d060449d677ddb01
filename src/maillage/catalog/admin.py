"""Admin in French: the typology is read-only (it comes from data/typology.json), initiatives
are edited with their history, and every save goes through `services.save_initiative`."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .forms import InitiativeAdminForm, https_by_default
from .models import (
    ActivityReport,
    Category,
    ExchangeMode,
    Family,
    Initiative,
    PlatformFootprint,
)
from .signals import announce_inventory_change


class ActivityReportInline(admin.TabularInline):
    """Activity reports are entered with their initiative, or on their own list below."""

    model = ActivityReport
    extra = 0
    fields = ["year", "metric", "value", "source"]


class CatalogAdmin(admin.ModelAdmin):
    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return super().formfield_for_dbfield(
            db_field, request, **https_by_default(kwargs, db_field)
        )


class ReadOnlyTypologyAdmin(CatalogAdmin):
    """Typology rows change in data/typology.json, then `maillage load-typology`."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CategoryInline(admin.TabularInline):
    model = Category
    fields = readonly_fields = ("code", "label_fr", "label_en", "position", "retired")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Family)
class FamilyAdmin(ReadOnlyTypologyAdmin):
    list_display = ["code", "label_fr", "label_en", "position"]
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(ReadOnlyTypologyAdmin):
    list_display = ["code", "label_fr", "label_en", "family", "retired"]
    list_filter = ["family", "retired"]
    list_select_related = ["family"]
    search_fields = ["code", "label_fr", "label_en"]


@admin.register(ExchangeMode)
class ExchangeModeAdmin(ReadOnlyTypologyAdmin):
    list_display = ["code", "label_fr", "label_en", "position"]


@admin.register(Initiative)
class InitiativeAdmin(SimpleHistoryAdmin, CatalogAdmin):
    form = InitiativeAdminForm
    list_display = ["name", "category", "commune", "status", "published", "updated_at"]
    inlines = [ActivityReportInline]
    list_select_related = ["category", "commune"]
    actions = ["publish"]
    list_filter = [
        "published",
        "category__family",
        "category",
        "status",
        ("commune__departement", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "commune__name", "=commune__code", "=siret", "=rna"]
    date_hierarchy = "updated_at"
    readonly_fields = ["commune", "commune_method", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "description", "category", "secondary_categories"]}),
        (
            _("Caractéristiques"),
            {"fields": ["exchange_modes", "counterpart", "carrier", "network"]},
        ),
        (
            _("Cycle de vie"),
            {
                "fields": [
                    "status",
                    "published",
                    "created_on",
                    "opened_on",
                    "closed_on",
                    "first_seen_on",
                    "last_verified_on",
                ]
            },
        ),
        (
            _("Localisation"),
            {
                "description": _(
                    "La commune est calculée à l'enregistrement à partir des coordonnées, ou à "
                    "défaut du code INSEE déclaré ; elle ne se saisit pas."
                ),
                "fields": [
                    ("lon", "lat"),
                    "location_precision",
                    "address",
                    "postcode",
                    "insee_code",
                    "commune",
                    "commune_method",
                ],
            },
        ),
        (_("Identifiants"), {"fields": ["website", "siret", "rna", "osm_id"]}),
        (
            _("Contact (données personnelles)"),
            {
                "classes": ["collapse"],
                "fields": [
                    "contact_name",
                    "contact_email",
                    "contact_phone",
                    "contact_is_personal",
                    "contact_legal_basis",
                ],
            },
        ),
        (_("Provenance"), {"fields": ["source_name", "source_url", "source_licence"]}),
        (_("Fiche"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Initiative]:
        return super().get_queryset(request).select_related("category__family", "commune")

    @admin.action(description=_("Publier les initiatives sélectionnées (après relecture)"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        count = services.publish_initiatives(queryset, user=request.user)
        self.message_user(
            request,
            ngettext("%(count)d initiative publiée.", "%(count)d initiatives publiées.", count)
            % {"count": count},
        )

    def save_model(self, request: HttpRequest, obj: Initiative, form: Any, change: bool) -> None:
        services.save_initiative(obj, user=request.user, save_m2m=form.save_m2m)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Many-to-many fields were saved by save_model, inside the same history record.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(PlatformFootprint)
class PlatformFootprintAdmin(CatalogAdmin):
    list_display = ["platform", "territory", "metric", "value", "unit", "date", "source_name"]
    list_select_related = ["territory"]
    list_filter = ["platform", "metric", "territory__level"]
    search_fields = ["platform", "metric", "territory__name", "=territory__id"]
    raw_id_fields = ["territory"]
    date_hierarchy = "date"


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
        announce_inventory_change(ActivityReport, "activité déclarée")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        announce_inventory_change(ActivityReport, "activité supprimée")
