"""Data quality, said out loud: every check an imported row goes through, with the reason a
person reads in the job report. Loaded once per job; then pure and fast per row."""

import datetime
import math
import re
from dataclasses import dataclass, field

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.catalog.models import Category
from maillage.core.weblinks import http_url, url_scheme
from maillage.territories.locator import Locator, get_locator
from maillage.territories.models import Level, PostalCode, Territory, TerritoryAlias

from .backends._common import clean_website
from .errors import RowRejected
from .records import Candidate

EARTH_RADIUS_KM = 6371.0
GENERIC_MAILBOXES = re.compile(
    r"^(contact|info|infos|bonjour|hello|accueil|secretariat|association|asso|admin|"
    r"mairie|communication|reservation|inscription|equipe|team|coworking|fablab)[._-]?[a-z0-9]*@",
    re.IGNORECASE,
)
DATE_FIELDS = ("created_on", "opened_on", "closed_on", "source_updated_on")


@dataclass
class Placed:
    commune_id: str | None
    reasons: list[str] = field(default_factory=list)


class QualityContext:
    """The referential in memory for one job: names, aliases, postcodes, the locator."""

    def __init__(self) -> None:
        self.communes: dict[str, tuple[str, float | None, float | None]] = {
            tid: (name, lon, lat)
            for tid, name, lon, lat in Territory.objects.filter(level=Level.COMMUNE).values_list(
                "id", "name", "point_lon", "point_lat"
            )
        }
        self.aliases = dict(TerritoryAlias.objects.values_list("code", "territory_id"))
        self.postcodes: dict[str, set[str]] = {}
        for code, commune_id in PostalCode.objects.values_list("code", "commune_id"):
            self.postcodes.setdefault(code, set()).add(commune_id)
        self.today = timezone.localdate()
        self.category_labels = dict(Category.objects.values_list("code", "label_fr"))
        self._locator: Locator | None = None

    @property
    def locator(self) -> Locator:
        """Loaded at the first point (a re-run of unchanged rows never needs it), then kept:
        the referential does not change during a job."""
        if self._locator is None:
            self._locator = get_locator()
        return self._locator

    def name(self, commune_id: str) -> str:
        return self.communes.get(commune_id, ("?", None, None))[0]

    def resolve_code(self, code: str) -> str | None:
        """Current, old, delegated or arrondissement INSEE code → current commune id."""
        tid = f"com:{code}"
        if tid in self.communes:
            return tid
        return self.aliases.get(code)

    def locate_many(self, lons: list[float], lats: list[float]) -> list[str | None]:
        if not lons:  # a re-run of unchanged rows never needs the locator's index
            return []
        return list(self.locator.locate(np.asarray(lons, float), np.asarray(lats, float)))


def check_name(candidate: Candidate) -> None:
    candidate.name = " ".join(candidate.name.split())


def name_unnamed(
    ctx: QualityContext, candidate: Candidate, category: str, commune: str | None
) -> str:
    """Many book boxes and carpooling areas have no name in OpenStreetMap: once the row is
    classified and placed, « Boîte à livres — Rennes » is a readable name. Without a category
    there is nothing to say, and the row is rejected."""
    if candidate.name:
        return ""
    if not category or commune is None:
        raise RowRejected(_("sans nom : ni nom ni catégorie pour en construire un"))
    candidate.name = f"{ctx.category_labels.get(category, category)} — {ctx.name(commune)}"
    return _("nom construit : la source n'en donne pas, « %(name)s »") % {"name": candidate.name}


def check_coordinates(candidate: Candidate) -> None:
    lon, lat = candidate.lon, candidate.lat
    if (lon is None) != (lat is None):
        candidate.lon = candidate.lat = None
        candidate.notes.append(_("une seule coordonnée fournie : ignorée"))
    elif lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        if -180 <= lat <= 180 and -90 <= lon <= 90:
            return  # maybe swapped: the locator decides
        raise RowRejected(
            _("coordonnées impossibles : longitude %(lon)s, latitude %(lat)s")
            % {"lon": lon, "lat": lat}
        )


def place(ctx: QualityContext, candidate: Candidate, located: str | None) -> Placed:
    """Where the row lies, and what to say about the declared INSEE code.

    `located` is the commune found from the point (None when there is no point or it falls
    outside France). Rejects rows that cannot be placed at all.
    """
    reasons: list[str] = []
    declared = candidate.insee_code.strip().upper()
    if candidate.lon is not None and candidate.lat is not None:
        if located is None:
            swapped = ctx.locate_many([candidate.lat], [candidate.lon])[0]
            if swapped is None:
                if not -90 <= candidate.lat <= 90:
                    raise RowRejected(
                        _("coordonnées impossibles : latitude %(lat)s (hors de -90…90)")
                        % {"lat": candidate.lat}
                    )
                raise RowRejected(
                    _(
                        "hors de France : le point (longitude %(lon)s, latitude %(lat)s) ne "
                        "tombe dans aucune commune française"
                    )
                    % {"lon": candidate.lon, "lat": candidate.lat}
                )
            candidate.lon, candidate.lat = candidate.lat, candidate.lon
            located = swapped
            reasons.append(_("longitude et latitude inversées : corrigées"))
        if declared:
            reasons += _compare_declared(ctx, declared, located, candidate)
        return Placed(located, reasons)
    if declared:
        resolved = ctx.resolve_code(declared)
        if resolved is not None:
            reasons.append(
                _("placée par son code INSEE : %(code)s, pas de coordonnées") % {"code": declared}
            )
            return Placed(resolved, reasons)
        communes = ctx.postcodes.get(declared, set())
        if len(communes) == 1:
            (only,) = communes
            reasons.append(
                _(
                    "code postal au lieu du code INSEE : %(code)s est le code postal de "
                    "%(commune)s, placée dans cette commune"
                )
                % {"code": declared, "commune": ctx.name(only)}
            )
            return Placed(only, reasons)
    postcode = candidate.postcode.strip()
    communes = ctx.postcodes.get(postcode, set()) if postcode else set()
    if len(communes) == 1:
        (only,) = communes
        reasons.append(
            _("placée par son code postal : %(postcode)s, pas de coordonnées")
            % {"postcode": postcode}
        )
        return Placed(only, reasons)
    if candidate.address or postcode:
        raise RowRejected(
            _(
                "impossible à placer : ni coordonnées ni code INSEE, et l'adresse seule ne "
                "suffit pas (Maillage ne géocode pas les adresses hors ligne)"
            )
        )
    raise RowRejected(_("impossible à placer : ni coordonnées, ni code INSEE, ni adresse"))


def _compare_declared(
    ctx: QualityContext, declared: str, located: str, candidate: Candidate
) -> list[str]:
    resolved = ctx.resolve_code(declared)
    if resolved == located:
        if f"com:{declared}" != located:
            return [
                _("ancien code INSEE : %(code)s désigne aujourd'hui %(commune)s")
                % {"code": declared, "commune": ctx.name(located)}
            ]
        return []
    if located in ctx.postcodes.get(declared, set()):
        return [
            _(
                "code postal au lieu du code INSEE : %(code)s est le code postal de "
                "%(commune)s, corrigé en %(insee)s"
            )
            % {"code": declared, "commune": ctx.name(located), "insee": located[4:]}
        ]
    if resolved is None:
        return [_("code INSEE inconnu : %(code)s, commune prise du point") % {"code": declared}]
    distance = _distance_km(ctx, resolved, candidate)
    where = (
        _(", à %(distance).1f km de son centre") % {"distance": distance}
        if distance is not None
        else ""
    )
    return [
        _(
            "point hors de la commune déclarée : code %(code)s (%(declared)s) mais le point "
            "est dans %(commune)s%(where)s ; commune prise du point, à vérifier"
        )
        % {
            "code": declared,
            "declared": ctx.name(resolved),
            "commune": ctx.name(located),
            "where": where,
        }
    ]


def _distance_km(ctx: QualityContext, commune_id: str, candidate: Candidate) -> float | None:
    _name, lon, lat = ctx.communes.get(commune_id, ("", None, None))
    if lon is None or lat is None or candidate.lon is None or candidate.lat is None:
        return None
    p1, p2 = math.radians(lat), math.radians(candidate.lat)
    dlat, dlon = p2 - p1, math.radians(candidate.lon - lon)
    a = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def check_dates(candidate: Candidate, today: datetime.date) -> list[str]:
    reasons = []
    for name in DATE_FIELDS:
        value = getattr(candidate, name)
        if value is not None and value > today:
            setattr(candidate, name, None)
            reasons.append(
                _("date impossible : %(field)s = %(value)s est dans le futur, ignorée")
                % {"field": name, "value": value}
            )
    if candidate.closed_on and candidate.opened_on and candidate.closed_on < candidate.opened_on:
        reasons.append(_("date impossible : fermeture antérieure à l'ouverture, ignorée"))
        candidate.closed_on = None
    if candidate.closed_on and candidate.status != "ferme":
        candidate.status = "ferme"
    return reasons


def drop_personal_data(candidate: Candidate, keep: set[str]) -> list[str]:
    """Names of people, personal e-mails and phones are dropped unless the mapping keeps them
    (with a stated legal basis). A generic mailbox (contact@…) is the organisation's, and so
    are the contacts of sources that describe organisations (GoGoCarto, OpenStreetMap)."""
    dropped = []
    if candidate.contact_is_organisation:
        keep = keep | {"contact_email", "contact_phone"}
    if candidate.contact_name and "contact_name" not in keep:
        candidate.contact_name = ""
        dropped.append(_("nom de contact"))
    email = candidate.contact_email.strip()
    if email and "contact_email" not in keep and not GENERIC_MAILBOXES.match(email):
        candidate.contact_email = ""
        dropped.append(_("e-mail"))
    if candidate.contact_phone and "contact_phone" not in keep:
        candidate.contact_phone = ""
        dropped.append(_("téléphone"))
    if not dropped:
        return []
    return [_("données personnelles écartées : %(fields)s") % {"fields": ", ".join(dropped)}]


def check_website(candidate: Candidate) -> list[str]:
    """Only http(s) addresses are stored (they become links): a `javascript:`, `data:`,
    `mailto:`… value is dropped with its scheme said (the row itself is kept); a bare domain
    gets `https://` and the first URL of a sentence is taken, as backends do."""
    website = candidate.website
    if http_url(website):
        return []
    candidate.website = ""
    if not website.strip():
        return []
    scheme = url_scheme(website)
    # "example.org:8080" reads as a scheme with a dot: left to the domain rules below
    if scheme and "." not in scheme and scheme not in ("http", "https"):
        return [
            _(
                "site web écarté : adresse « %(scheme)s: » refusée, seules les adresses "
                "http(s) sont gardées"
            )
            % {"scheme": scheme[:20]}
        ]
    cleaned, notes = clean_website(website)
    if http_url(cleaned):
        candidate.website = cleaned
        return notes
    return [_("site web écarté : seules les adresses http(s) sont gardées")]
