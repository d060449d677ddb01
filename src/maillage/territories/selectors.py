"""Reads of the referential: territory ids, old codes, parents and children, search."""

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.errors import MaillageError

from .models import Level, PostalCode, Territory, TerritoryAlias
from .text import normalize

ID_PATTERN = re.compile(
    r"^(fr|reg:[0-9]{2,3}|dep:[0-9][0-9AB][0-9]?|epci:[0-9]{9}|com:[0-9][0-9AB][0-9]{3})$"
)


class TerritoryNotFound(MaillageError):
    """Stable error code `territory-not-found` (404); the message is for people."""

    code = "territory-not-found"
    status = 404
    title = gettext_lazy("Territoire introuvable")


class InvalidTerritoryId(TerritoryNotFound):
    """The id is not of any known form (`xyz`): stable error code `invalid-territory-id`."""

    code = "invalid-territory-id"
    status = 400


@dataclass(frozen=True)
class Resolved:
    territory: Territory
    requested_id: str
    # Set when an old or secondary code was given: why it points to another commune.
    alias: TerritoryAlias | None = None

    @property
    def note(self) -> str:
        if self.alias is None:
            return ""
        return _("%(code)s (%(name)s, %(kind)s) correspond aujourd'hui à %(target)s.") % {
            "code": self.alias.code,
            "name": self.alias.name,
            "kind": self.alias.get_kind_display(),
            "target": f"{self.territory.name} ({self.territory.id})",
        }


MAX_ID_CHARS = 20  # the longest id, epci:<SIREN>, has 14


def parse_territory_id(raw_id: object) -> str:
    """The id in its stored form (`FR` → `fr`, spaces around dropped), without reading the
    database; InvalidTerritoryId (French) for anything not of the forms fr, reg:53, dep:35,
    epci:<SIREN>, com:<INSEE>."""
    text = raw_id if isinstance(raw_id, str) else ""
    tid = text.strip()
    if tid.upper() == "FR":
        tid = "fr"
    if len(tid) > MAX_ID_CHARS or not ID_PATTERN.fullmatch(tid):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise InvalidTerritoryId(
            _(
                "« %(id)s » n'est pas un identifiant de territoire. Formes attendues : fr, "
                "reg:53, dep:35, epci:<SIREN à 9 chiffres>, com:<code INSEE à 5 caractères>."
            )
            % {"id": shown}
        )
    return tid


def resolve_territory(raw_id: str) -> Resolved:
    """`com:74011` → Annecy (com:74010) with a note; `dep:999` → TerritoryNotFound."""
    tid = parse_territory_id(raw_id)
    territory = Territory.objects.filter(id=tid).first()
    if territory is not None:
        return Resolved(territory, raw_id)
    if tid.startswith("com:"):
        alias = TerritoryAlias.objects.select_related("territory").filter(code=tid[4:]).first()
        if alias is not None:
            return Resolved(alias.territory, raw_id, alias)
    raise TerritoryNotFound(
        _("Aucun territoire « %(id)s » dans le référentiel officiel.") % {"id": raw_id}
    )


def resolve_commune_code(code: str) -> Resolved | None:
    """An INSEE code as found in data files (current, old, delegated or arrondissement)."""
    try:
        return resolve_territory(f"com:{code.strip()}")
    except TerritoryNotFound:
        return None


def parents(territory: Territory) -> list[Territory]:
    """From the nearest to France: EPCI, département, région, France."""
    ids = [territory.epci_id, territory.departement_id, territory.region_id]
    if territory.level != Level.COUNTRY:
        ids.append("fr")
    found = Territory.objects.defer("geometry", "outline").in_bulk([i for i in ids if i])
    return [found[i] for i in ids if i in found]


def children(territory: Territory) -> QuerySet[Territory]:
    """fr → régions, région → départements, département and EPCI → communes."""
    base = Territory.objects.defer("geometry", "outline").order_by("name")
    match territory.level:
        case Level.COUNTRY:
            return base.filter(level=Level.REGION)
        case Level.REGION:
            return base.filter(level=Level.DEPARTEMENT, region=territory)
        case Level.DEPARTEMENT:
            return base.filter(level=Level.COMMUNE, departement=territory)
        case Level.EPCI:
            return base.filter(level=Level.COMMUNE, epci=territory)
    return base.none()


def search(query: str, limit: int = 20) -> list[Territory]:
    """By name (accent- and case-insensitive), INSEE code, old code, SIREN or postcode.

    Exact matches first, then names starting with the query, then names containing it;
    larger territories first within each group.
    """
    text = query.strip()
    if not text:
        return []
    base = Territory.objects.defer("geometry")
    if re.fullmatch(r"[0-9][0-9AB][0-9]{3}", text.upper()):  # INSEE code or postcode
        ids = set(base.filter(level=Level.COMMUNE, code=text.upper()).values_list("id", flat=True))
        ids |= set(PostalCode.objects.filter(code=text).values_list("commune_id", flat=True))
        ids |= set(
            TerritoryAlias.objects.filter(code=text.upper()).values_list("territory_id", flat=True)
        )
        return list(base.filter(id__in=ids).order_by("-population")[:limit])
    if re.fullmatch(r"[0-9]{9}", text):
        return list(base.filter(siren=text)[:limit])
    key = normalize(text)
    if not key:
        return []
    alias_ids = TerritoryAlias.objects.filter(search_name__startswith=key).values("territory_id")
    rows = list(
        base.filter(Q(search_name__contains=key) | Q(id__in=alias_ids)).order_by("-population")[
            : limit * 10
        ]
    )

    def rank(t: Territory) -> tuple[int, int]:
        group = 0 if t.search_name == key else 1 if t.search_name.startswith(key) else 2
        return (group, -(t.population or 0))

    return sorted(rows, key=rank)[:limit]


def describe(territory: Territory, parent_list: list[Territory], children_count: int) -> dict:
    """The public description of a territory, shared by the CLI and the JSON pages."""
    return {
        "id": territory.id,
        "name": territory.name,
        "level": territory.level,
        "code": territory.code,
        "siren": territory.siren or None,
        "kind": territory.kind or None,
        "population": territory.population,
        "population_year": territory.population_year,
        "area_km2": territory.area_km2,
        "point": (
            [territory.point_lon, territory.point_lat] if territory.point_lon is not None else None
        ),
        "bbox": territory.bbox,
        "parents": [{"id": p.id, "name": p.name, "level": p.level} for p in parent_list],
        "children_count": children_count,
    }
