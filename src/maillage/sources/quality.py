"""Data quality, said out loud: every check an imported row goes through, with the reason a
person reads in the job report. Loaded once per job; then pure and fast per row."""

import datetime
import math
from dataclasses import dataclass, field

import numpy as np
from django.utils import timezone

from maillage.catalog.models import Category
from maillage.core.i18n import gettext as _  # per row: see core/i18n.py
from maillage.core.weblinks import http_url, url_scheme
from maillage.territories.locator import Locator, get_locator
from maillage.territories.models import Level, PostalCode, Territory, TerritoryAlias
from maillage.territories.text import town_key

from .backends._common import clean_website
from .errors import RowRejected
from .personal import PERSONAL_FIELDS, ContactVerdict, decide
from .records import Candidate

EARTH_RADIUS_KM = 6371.0
DATE_FIELDS = ("created_on", "opened_on", "closed_on", "source_updated_on")


@dataclass
class Placed:
    commune_id: str | None
    reasons: list[str] = field(default_factory=list)
    method: str = ""  # "postcode" when placed by postcode and town; else read from the point


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
        self._towns: dict[tuple[str, str], set[str]] | None = None
        self._town_keys: dict[str, set[str]] = {}

    @property
    def towns(self) -> dict[tuple[str, str], set[str]]:
        """(département code, town key) → communes of that name: current communes, and the
        delegated, associated or former communes whose name people still write. Built at the
        first row placed by its town (most files have points or INSEE codes)."""
        if self._towns is None:
            towns: dict[tuple[str, str], set[str]] = {}
            keys: dict[str, set[str]] = {}
            departements = dict(
                Territory.objects.filter(level=Level.COMMUNE).values_list("id", "departement_id")
            )
            names = [(tid, self.communes[tid][0]) for tid in self.communes]
            names += list(TerritoryAlias.objects.values_list("territory_id", "name"))
            for tid, name in names:
                key = town_key(name)
                dep = (departements.get(tid) or "dep:")[4:]
                towns.setdefault((dep, key), set()).add(tid)
                keys.setdefault(tid, set()).add(key)
            self._towns, self._town_keys = towns, keys
        return self._towns

    def town_keys(self, commune_id: str) -> set[str]:
        """The town keys a commune answers to (its name, its delegated communes')."""
        self.towns  # noqa: B018 (built with the index)
        return self._town_keys.get(commune_id, set())

    def towns_in(self, postcode: str, key: str) -> set[str]:
        """Communes named `key` in the département of `postcode` (both Corsican ones for
        20xxx)."""
        found: set[str] = set()
        for dep in departements_of_postcode(postcode):
            found |= self.towns.get((dep, key), set())
        return found

    def point(self, commune_id: str) -> tuple[float | None, float | None]:
        _name, lon, lat = self.communes.get(commune_id, ("", None, None))
        return lon, lat

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
    by_postcode = _place_by_postcode(ctx, candidate, postcode)
    if by_postcode is not None:
        commune, said = by_postcode
        lon, lat = ctx.point(commune)
        if lon is not None and lat is not None:
            candidate.lon, candidate.lat = lon, lat
        candidate.location_precision = "commune"
        reasons += [
            said,
            _("placée au point de la commune (%(commune)s) : précision « commune », pas l'adresse")
            % {"commune": ctx.name(commune)},
        ]
        return Placed(commune, reasons, method="postcode")
    if postcode and candidate.city.strip():
        raise RowRejected(
            _(
                "impossible à placer : ni coordonnées ni code INSEE, et le code postal "
                "%(postcode)s avec la commune « %(town)s » ne désignent pas une seule commune"
            )
            % {"postcode": postcode, "town": candidate.city.strip()}
        )
    if candidate.address or postcode:
        raise RowRejected(
            _(
                "impossible à placer : ni coordonnées ni code INSEE, et l'adresse seule ne "
                "suffit pas (Maillage ne géocode pas les adresses hors ligne)"
            )
        )
    raise RowRejected(_("impossible à placer : ni coordonnées, ni code INSEE, ni adresse"))


def departements_of_postcode(postcode: str) -> tuple[str, ...]:
    """The département codes a postcode (CEDEX ones included) can belong to."""
    if postcode.startswith("20"):
        return ("2A", "2B")
    if postcode.startswith(("97", "98")):
        return (postcode[:3],)
    return (postcode[:2],)


def _place_by_postcode(
    ctx: QualityContext, candidate: Candidate, postcode: str
) -> tuple[str, str] | None:
    """(commune id, what decided) from the postcode and the town together, or None.

    The town (normalised: accents, « St », hyphens, CEDEX, arrondissements) picks the
    commune among the postcode's; a CEDEX or unknown postcode still gives its département,
    where the town must be unique. When postcode and town disagree, an unambiguous town in
    the département wins, else the postcode when it has one commune; the reason says which.
    """
    town = candidate.city.strip()
    key = town_key(town) if town else ""
    communes = ctx.postcodes.get(postcode, set()) if postcode else set()
    if not key:
        if len(communes) == 1:
            (only,) = communes
            return only, _("placée par son code postal : %(postcode)s, pas de coordonnées") % {
                "postcode": postcode
            }
        return None
    if not postcode:
        return None
    named = {c for c in communes if key in ctx.town_keys(c)}
    if len(named) == 1:
        (only,) = named
        return only, _(
            "placée par son code postal et sa commune : %(postcode)s %(town)s → %(commune)s "
            "(%(insee)s), pas de coordonnées"
        ) % {"postcode": postcode, "town": town, "commune": ctx.name(only), "insee": only[4:]}
    if named:
        return None  # two communes of that name share the postcode: nothing to choose by
    in_departement = ctx.towns_in(postcode, key)
    if len(in_departement) == 1:
        (only,) = in_departement
        if not communes:
            return only, _(
                "placée par sa commune : code postal %(postcode)s inconnu des codes postaux "
                "(CEDEX ?), « %(town)s » est la seule commune de ce nom du département, "
                "%(commune)s (%(insee)s)"
            ) % {"postcode": postcode, "town": town, "commune": ctx.name(only), "insee": only[4:]}
        return only, _(
            "code postal et commune en désaccord : le code postal %(postcode)s désigne "
            "%(postcode_communes)s, mais la commune indiquée est « %(town)s » ; la commune "
            "l'emporte (seule de ce nom dans le département) : %(commune)s (%(insee)s)"
        ) % {
            "postcode": postcode,
            "postcode_communes": _names(ctx, communes),
            "town": town,
            "commune": ctx.name(only),
            "insee": only[4:],
        }
    if not in_departement:
        near = {c for c in communes if any(_begins(k, key) for k in ctx.town_keys(c))}
        if len(near) == 1:  # « Cadillac » for Cadillac-sur-Garonne, « Theix » for Theix-Noyalo
            (only,) = near
            return only, _(
                "placée par son code postal et un nom approché : « %(town)s » est le début du "
                "nom d'une seule commune du code postal %(postcode)s, %(commune)s (%(insee)s) "
                "(commune nouvelle ou nom abrégé), pas de coordonnées"
            ) % {"town": town, "postcode": postcode, "commune": ctx.name(only), "insee": only[4:]}
    if len(communes) == 1:
        (only,) = communes
        why = (
            _("plusieurs communes de ce nom dans le département")
            if in_departement
            else _("aucune commune de ce nom dans le département")
        )
        return only, _(
            "code postal et commune en désaccord : la commune indiquée est « %(town)s » "
            "(%(why)s) ; le code postal l'emporte : %(postcode)s → %(commune)s (%(insee)s)"
        ) % {
            "town": town,
            "why": why,
            "postcode": postcode,
            "commune": ctx.name(only),
            "insee": only[4:],
        }
    return None


def _begins(name: str, town: str) -> bool:
    """The commune's name starts with the town's words, articles aside."""
    name, town = _without_article(name), _without_article(town)
    return name == town or name.startswith(town + " ")


def _without_article(key: str) -> str:
    for article in ("le ", "la ", "les ", "l "):
        if key.startswith(article):
            return key[len(article) :]
    return key


def _names(ctx: QualityContext, communes: set[str]) -> str:
    names = sorted(ctx.name(c) for c in communes)
    shown = ", ".join(names[:3])
    return shown + ("…" if len(names) > 3 else "")


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


def drop_personal_data(
    candidate: Candidate, keep: set[str], columns: dict[str, str] | None = None
) -> ContactVerdict:
    """Names of people, personal e-mails and phones are dropped unless the mapping keeps them
    (with a stated legal basis); an organisation's switchboard or role address is its
    contact and is kept (rules in personal.py). `columns`: field → the column it was read
    from, when the backend knows it."""
    values = {name: getattr(candidate, name) for name in PERSONAL_FIELDS}
    if not any(values.values()):
        return ContactVerdict()
    verdict = decide(values, columns or {}, keep, candidate.contact_is_organisation, candidate.name)
    for name in verdict.dropped:
        setattr(candidate, name, "")
    return verdict


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
