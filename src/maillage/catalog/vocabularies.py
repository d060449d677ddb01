"""Closed vocabularies of an initiative: counterpart, carrier, status, location precision.

Why TextChoices here and a small model for exchange modes:

- counterpart, carrier and status take **one** value per initiative, and code reads them
  (emergence counts `projet`, the diagnostic reads `plateforme-nationale` or `monetaire`).
  A column with choices is indexable, needs no join, works the same on SQLite and PostgreSQL,
  and its labels are translated by the ordinary `.po` catalogue. Adding a value is a code
  change anyway, since rules depend on it.
- exchange modes take **several** values. Stored as rows (`ExchangeMode`, synced from
  `data/typology.json` like the categories), they are a plain many-to-many relation that every
  database can filter and count (a JSON list cannot be filtered portably on SQLite).

The codes and French labels here must equal the `attributes` of `data/typology.json`;
`sync_typology()` refuses to run when they drift apart, and the tests check the English ones.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Counterpart(models.TextChoices):
    AUCUNE = "aucune", _("Aucune")
    BIENS_SERVICES = "biens-services", _("Biens ou services")
    MONETAIRE = "monetaire", _("Monétaire")


class Carrier(models.TextChoices):
    COLLECTIF_CITOYEN = "collectif-citoyen", _("Collectif citoyen")
    ASSOCIATION = "association", _("Association")
    COOPERATIVE = "cooperative", _("Coopérative (SCIC, SCOP)")
    ENTREPRISE = "entreprise", _("Entreprise (start-up, PME)")
    GRAND_GROUPE = "grand-groupe", _("Grand groupe")
    ACTEUR_PUBLIC = "acteur-public", _("Acteur public")
    PLATEFORME_NATIONALE = "plateforme-nationale", _("Plateforme nationale")


class Status(models.TextChoices):
    PROJET = "projet", _("En projet")
    ACTIF = "actif", _("Actif")
    EN_SOMMEIL = "en-sommeil", _("En sommeil")
    FERME = "ferme", _("Fermé")


class LocationPrecision(models.TextChoices):
    EXACT = "exact", _("Exacte (point vérifié)")
    ADDRESS = "address", _("Adresse")
    STREET = "street", _("Rue")
    COMMUNE = "commune", _("Commune")
    UNKNOWN = "unknown", _("Inconnue")


class CommuneMethod(models.TextChoices):
    """How the commune of an initiative was derived (it is never typed by hand)."""

    POINT = "point", _("Calculée depuis les coordonnées")
    INSEE = "insee", _("Déduite du code INSEE déclaré")
    # Placed at the commune's point: the point says nothing finer than the commune.
    POSTCODE = "postcode", _("Déduite du code postal et du nom de la commune")
    NONE = "", _("Non déterminée")


class ContactLegalBasis(models.TextChoices):
    """GDPR lawful basis (art. 6) for keeping a contact that designates a natural person."""

    NONE = "", _("Non renseignée")
    CONSENT = "consentement", _("Consentement de la personne")
    LEGITIMATE_INTEREST = "interet-legitime", _("Intérêt légitime")
    PUBLIC_TASK = "mission-interet-public", _("Mission d'intérêt public")


# The vocabularies that data/typology.json must describe identically (code → choices).
SINGLE_VALUE_ATTRIBUTES: dict[str, type[models.TextChoices]] = {
    "counterpart": Counterpart,
    "carrier": Carrier,
    "status": Status,
}
