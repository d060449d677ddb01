"""Admin form of an initiative: the same checks as the services, shown on the form."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from . import services
from .models import Initiative
from .validators import normalize_identifier


def https_by_default(kwargs: dict[str, Any], db_field: models.Field) -> dict[str, Any]:
    """Addresses typed without a scheme are https (Django 6's default, chosen now)."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return kwargs


def formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    return db_field.formfield(**https_by_default(kwargs, db_field))


class InitiativeAdminForm(forms.ModelForm):
    class Meta:
        model = Initiative
        fields = [
            "name",
            "description",
            "category",
            "secondary_categories",
            "exchange_modes",
            "counterpart",
            "carrier",
            "network",
            "status",
            "created_on",
            "opened_on",
            "closed_on",
            "first_seen_on",
            "last_verified_on",
            "lon",
            "lat",
            "location_precision",
            "address",
            "postcode",
            "insee_code",
            "website",
            "siret",
            "rna",
            "osm_id",
            "contact_name",
            "contact_email",
            "contact_phone",
            "contact_is_personal",
            "contact_legal_basis",
            "source_name",
            "source_url",
            "source_licence",
        ]
        formfield_callback = formfield
        # French decimal commas are accepted as well as dots: « -1,6778 ».
        localized_fields = ["lon", "lat"]
        widgets = {
            "secondary_categories": forms.CheckboxSelectMultiple,
            "exchange_modes": forms.CheckboxSelectMultiple,
        }

    def clean_siret(self) -> str:
        return normalize_identifier(self.cleaned_data.get("siret", ""))

    def clean_rna(self) -> str:
        return normalize_identifier(self.cleaned_data.get("rna", ""))

    def clean_insee_code(self) -> str:
        return (self.cleaned_data.get("insee_code") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            services.check_categories(data.get("category"), data.get("secondary_categories") or [])
            lon, lat = data.get("lon"), data.get("lat")
            if (lon is None) == (lat is None):  # a lone coordinate is reported by the model
                services.resolve_placement(lon, lat, data.get("insee_code") or "")
        except ValidationError as error:
            self.add_error(None, error)
        return data
