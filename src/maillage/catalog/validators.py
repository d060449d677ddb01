"""Validators of French identifiers: SIRET, RNA, OpenStreetMap element, postcode."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# La Poste's establishments share SIREN 356000000 and do not satisfy the Luhn key; INSEE's
# rule for them is that the sum of the 14 digits is a multiple of 5.
LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_siret(value: str) -> None:
    if not re.fullmatch(r"[0-9]{14}", value):
        raise ValidationError(
            _("Un SIRET compte exactement 14 chiffres (reçu : « %(value)s »)."),
            code="siret-format",
            params={"value": value},
        )
    if value.startswith(LA_POSTE_SIREN):
        valid = sum(int(c) for c in value) % 5 == 0
    else:
        valid = luhn_ok(value)
    if not valid:
        raise ValidationError(
            _("Le SIRET « %(value)s » n'est pas valide : sa clé de contrôle est fausse."),
            code="siret-checksum",
            params={"value": value},
        )


# "W" then 9 characters; the département part of Corsican numbers holds 2A or 2B.
RNA_PATTERN = re.compile(r"W[0-9][0-9AB][0-9]{7}")


def validate_rna(value: str) -> None:
    if not RNA_PATTERN.fullmatch(value):
        raise ValidationError(
            _(
                "Un numéro RNA s'écrit « W » suivi de 9 chiffres, par exemple W351000123 "
                "(reçu : « %(value)s »)."
            ),
            code="rna-format",
            params={"value": value},
        )


OSM_ID_PATTERN = re.compile(r"(node|way|relation)/[1-9][0-9]*")


def validate_osm_id(value: str) -> None:
    if not OSM_ID_PATTERN.fullmatch(value):
        raise ValidationError(
            _(
                "Un identifiant OpenStreetMap s'écrit type/numéro : node/123, way/123 ou "
                "relation/123 (reçu : « %(value)s »)."
            ),
            code="osm-id-format",
            params={"value": value},
        )


def validate_postcode(value: str) -> None:
    if not re.fullmatch(r"[0-9]{5}", value):
        raise ValidationError(
            _("Un code postal compte 5 chiffres (reçu : « %(value)s »)."),
            code="postcode-format",
            params={"value": value},
        )


def validate_insee_code(value: str) -> None:
    if not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", value):
        raise ValidationError(
            _("Un code commune INSEE compte 5 caractères, par exemple 35238 ou 2A004."),
            code="insee-format",
        )


def normalize_identifier(value: str) -> str:
    """Spaces, dots and dashes are common in pasted SIRET/RNA numbers: drop them."""
    return re.sub(r"[\s.\-]", "", value or "").upper()
