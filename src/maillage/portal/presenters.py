"""What the public pages show about a territory, computed once for HTML and JSON alike."""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from maillage.core.formats import format_decimal
from maillage.territories.models import Level, Territory
from maillage.territories.selectors import describe

CHILD_NOUNS = {
    Level.COUNTRY: lambda n: ngettext("%(count)s région", "%(count)s régions", n),
    Level.REGION: lambda n: ngettext("%(count)s département", "%(count)s départements", n),
    Level.DEPARTEMENT: lambda n: ngettext("%(count)s commune", "%(count)s communes", n),
    Level.EPCI: lambda n: ngettext("%(count)s commune membre", "%(count)s communes membres", n),
}
# Legal nature of an EPCI (DGCL codes), as people read it.
EPCI_KINDS = {
    "CC": gettext_lazy("Communauté de communes"),
    "CA": gettext_lazy("Communauté d'agglomération"),
    "CU": gettext_lazy("Communauté urbaine"),
    "METRO": gettext_lazy("Métropole"),
    "MET69": gettext_lazy("Métropole de Lyon (collectivité à statut particulier)"),
}
# Levels whose map also draws the children's outlines as a light background layer.
LEVELS_WITH_CHILDREN_LAYER = {Level.REGION, Level.DEPARTEMENT, Level.EPCI}


def density(territory: Territory) -> float | None:
    if territory.population is None or not territory.area_km2:
        return None
    return territory.population / territory.area_km2


def children_label(territory: Territory, count: int) -> str:
    noun = CHILD_NOUNS.get(Level(territory.level))
    return noun(count) % {"count": format_decimal(count, 0)} if noun else ""


def bbox_text(bbox: list[float] | None) -> str:
    """The text alternative of the map: its extent in words."""
    if not bbox:
        return ""
    west, south, east, north = bbox
    return _(
        "Emprise (WGS84) : longitude de %(west)s à %(east)s, latitude de %(south)s à %(north)s."
    ) % {
        "west": format_decimal(west, 3),
        "east": format_decimal(east, 3),
        "south": format_decimal(south, 3),
        "north": format_decimal(north, 3),
    }


def territory_url(territory_id: str) -> str:
    return reverse("portal:territory", kwargs={"territory_id": territory_id})


def territory_summary(territory: Territory) -> dict[str, Any]:
    """The few fields a link or a search result needs."""
    return {
        "id": territory.id,
        "name": territory.name,
        "level": territory.level,
        "level_label": str(territory.get_level_display()),
        "code": territory.code,
        "url": territory_url(territory.id),
    }


@dataclass
class SearchResult:
    territory: Territory
    departement: Territory | None = None

    def as_json(self) -> dict[str, Any]:
        data = territory_summary(self.territory)
        data["population"] = self.territory.population
        data["departement"] = (
            {"id": self.departement.id, "name": self.departement.name} if self.departement else None
        )
        return data


def search_results(territories: list[Territory]) -> list[SearchResult]:
    """Attach each result's département in one query."""
    dep_ids = {t.departement_id for t in territories if t.departement_id}
    departements = Territory.objects.only("id", "name", "code").in_bulk(dep_ids)
    return [
        SearchResult(t, departements.get(t.departement_id) if t.departement_id else None)
        for t in territories
    ]


METROPOLITAN_BBOX = [-5.2, 41.3, 9.6, 51.1]


@dataclass
class TerritoryPage:
    territory: Territory
    parents: list[Territory]
    children_count: int

    @property
    def density(self) -> float | None:
        return density(self.territory)

    @property
    def kind_label(self) -> str:
        kind = self.territory.kind
        return f"{EPCI_KINDS[kind]} ({kind})" if kind in EPCI_KINDS else kind

    @property
    def density_places(self) -> int:
        """One decimal for sparse territories (« 3,4 hab./km² »), none above 10."""
        dens = self.density
        return 1 if dens is not None and dens < 10 else 0

    @property
    def area_places(self) -> int:
        """« 80,2 km² » for a commune, « 70 842 km² » for a région."""
        return 1 if (self.territory.area_km2 or 0) < 1000 else 0

    @property
    def children_label(self) -> str:
        return children_label(self.territory, self.children_count)

    @property
    def bbox_text(self) -> str:
        return bbox_text(self.territory.bbox)

    @property
    def view_bbox(self) -> list[float] | None:
        """Initial map extent. France spans from the Pacific to the Indian Ocean: open on the
        metropolitan territory, where the overseas régions are one click away in the list."""
        if self.territory.level == "fr":
            return METROPOLITAN_BBOX
        return self.territory.bbox

    @property
    def has_children_layer(self) -> bool:
        return self.territory.level in LEVELS_WITH_CHILDREN_LAYER and self.children_count > 0

    def as_json(self) -> dict[str, Any]:
        """The same description as the CLI and the API, plus what a page links to."""
        t = self.territory
        dens = self.density
        data = describe(t, self.parents, self.children_count)
        data["level_label"] = str(t.get_level_display())
        data["density_per_km2"] = round(dens, 1) if dens is not None else None
        data["parents"] = [territory_summary(p) for p in self.parents]
        data["outline_url"] = (
            reverse("portal:outline", kwargs={"territory_id": t.id}) if t.outline else None
        )
        return data
