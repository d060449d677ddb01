"""Writes to the catalogue. Every initiative is created and changed here, so that its commune
is always derived (from the point, else from the declared INSEE code) and never typed by hand.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from maillage.territories.locator import locate_point
from maillage.territories.models import Territory
from maillage.territories.selectors import resolve_commune_code

from .history import ensure_baseline
from .models import INITIATIVE_HISTORY, Category, ExchangeMode, Initiative, PlatformFootprint
from .signals import announce_inventory_change
from .validators import normalize_identifier
from .vocabularies import CommuneMethod


@dataclass(frozen=True)
class Placement:
    commune: Territory | None
    method: str  # a CommuneMethod value


def locate(lon: float, lat: float) -> Territory | None:
    """The commune that covers the point, through the shared territories locator."""
    return locate_point(lon, lat)


def resolve_placement(lon: float | None, lat: float | None, insee_code: str = "") -> Placement:
    """Where an initiative lies. Raises ValidationError (in French) for a point outside France
    or an unknown INSEE code; neither point nor code gives no commune."""
    if lon is not None and lat is not None:
        commune = locate(lon, lat)
        if commune is not None:
            return Placement(commune, CommuneMethod.POINT)
        message = _(
            "Les coordonnées (longitude %(lon)s, latitude %(lat)s) ne tombent dans aucune "
            "commune française : le point est hors de France ou en mer."
        ) % {"lon": lon, "lat": lat}
        if locate(lat, lon) is not None:
            message += " " + _("Longitude et latitude semblent inversées.")
        raise ValidationError({"lon": ValidationError(message, code="outside-france")})
    if insee_code:
        resolved = resolve_commune_code(insee_code)
        if resolved is None:
            raise ValidationError(
                {
                    "insee_code": ValidationError(
                        _("Le code INSEE « %(code)s » ne désigne aucune commune connue."),
                        code="unknown-insee-code",
                        params={"code": insee_code},
                    )
                }
            )
        return Placement(resolved.territory, CommuneMethod.INSEE)
    return Placement(None, CommuneMethod.NONE)


def place_initiative(initiative: Initiative) -> Initiative:
    """Set `commune` and `commune_method` from the initiative's point or INSEE code (no save)."""
    placement = resolve_placement(initiative.lon, initiative.lat, initiative.insee_code)
    commune = placement.commune
    # Placed by postcode and town, still at its commune's point: its origin stays the same.
    kept = (
        initiative.commune_method == CommuneMethod.POSTCODE
        and commune is not None
        and (initiative.lon, initiative.lat) == (commune.point_lon, commune.point_lat)
    )
    initiative.commune = commune
    if not kept:
        initiative.commune_method = placement.method
    return initiative


def check_categories(category: Category | None, secondary: Iterable[Category]) -> None:
    if category is not None and category in list(secondary):
        raise ValidationError(
            {
                "secondary_categories": ValidationError(
                    _("La catégorie principale ne peut pas être aussi une catégorie secondaire."),
                    code="category-twice",
                )
            }
        )


def _normalize(initiative: Initiative) -> None:
    initiative.siret = normalize_identifier(initiative.siret)
    initiative.rna = normalize_identifier(initiative.rna)
    initiative.insee_code = (initiative.insee_code or "").strip().upper()


@transaction.atomic
def save_initiative(
    initiative: Initiative,
    *,
    user: Any = None,
    reason: str = "",
    save_m2m: Callable[[], None] | None = None,
) -> Initiative:
    """Validate, place and save one initiative, then write **one** history record.

    `save_m2m` sets the many-to-many fields after the row exists (the admin passes
    `form.save_m2m`). simple-history would otherwise add a record per many-to-many change;
    here they are suspended and one record with the final state, `user` and `reason` is written.
    """
    created = initiative._state.adding
    if not created:
        ensure_baseline([initiative.pk])  # before the change: its state as created
    _normalize(initiative)
    initiative.full_clean()
    place_initiative(initiative)
    if user is not None and getattr(user, "is_authenticated", False):
        initiative._history_user = user  # type: ignore[attr-defined]
    if reason:
        initiative._change_reason = reason  # type: ignore[attr-defined]
    initiative.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        initiative.save()
        if save_m2m is not None:
            save_m2m()
    finally:
        del initiative.skip_history_when_saving  # type: ignore[attr-defined]
    INITIATIVE_HISTORY.create_historical_record(initiative, "+" if created else "~")
    announce_inventory_change(Initiative, "fiche modifiée")
    return initiative


def _codes(model: Any, values: Iterable[Any]) -> list[Any]:
    """Accept model instances or codes; unknown codes are a clear error."""
    items = list(values)
    codes = [v.pk if isinstance(v, model) else v for v in items]
    found = {o.pk: o for o in model.objects.filter(pk__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationError(
            _("Codes inconnus : %(codes)s.") % {"codes": ", ".join(map(str, missing))},
            code="unknown-code",
        )
    return [found[c] for c in codes]


@transaction.atomic
def create_initiative(
    *,
    name: str,
    category: Category | str,
    secondary_categories: Iterable[Category | str] = (),
    exchange_modes: Iterable[ExchangeMode | str] = (),
    user: Any = None,
    reason: str = "",
    **fields: Any,
) -> Initiative:
    """Create an initiative; `category` and the lists accept codes or rows.

    `fields` are the other model fields (lon, lat, insee_code, status, siret…); `commune` is
    refused because it is always derived.
    """
    if "commune" in fields or "commune_id" in fields:
        raise ValueError("commune is derived from lon/lat or insee_code, never given")
    main = _codes(Category, [category])[0]
    secondary = _codes(Category, secondary_categories)
    check_categories(main, secondary)
    modes = _codes(ExchangeMode, exchange_modes)
    initiative = Initiative(name=name, category=main, **fields)

    def save_m2m() -> None:
        initiative.secondary_categories.set(secondary)
        initiative.exchange_modes.set(modes)

    return save_initiative(initiative, user=user, reason=reason, save_m2m=save_m2m)


@transaction.atomic
def update_initiative(
    initiative: Initiative,
    *,
    user: Any = None,
    reason: str = "",
    secondary_categories: Iterable[Category | str] | None = None,
    exchange_modes: Iterable[ExchangeMode | str] | None = None,
    **changes: Any,
) -> Initiative:
    """Change some fields of an initiative; the commune follows the new point or code."""
    if "commune" in changes or "commune_id" in changes:
        raise ValueError("commune is derived from lon/lat or insee_code, never given")
    if "category" in changes:
        changes["category"] = _codes(Category, [changes["category"]])[0]
    for key, value in changes.items():
        setattr(initiative, key, value)
    secondary = None if secondary_categories is None else _codes(Category, secondary_categories)
    check_categories(
        initiative.category,
        secondary if secondary is not None else initiative.secondary_categories.all(),
    )
    modes = None if exchange_modes is None else _codes(ExchangeMode, exchange_modes)

    def save_m2m() -> None:
        if secondary is not None:
            initiative.secondary_categories.set(secondary)
        if modes is not None:
            initiative.exchange_modes.set(modes)

    return save_initiative(initiative, user=user, reason=reason, save_m2m=save_m2m)


def record_footprint(
    *,
    platform: str,
    territory: Territory | str,
    metric: str,
    date: Any,
    value: float,
    **fields: Any,
) -> tuple[PlatformFootprint, bool]:
    """Insert or update one footprint figure, keyed by (platform, territory, metric, date)."""
    territory_id = territory.pk if isinstance(territory, Territory) else territory
    footprint, created = PlatformFootprint.objects.update_or_create(
        platform=platform,
        territory_id=territory_id,
        metric=metric,
        date=date,
        defaults={"value": value, **fields},
    )
    return footprint, created


@transaction.atomic
def publish_initiatives(initiatives: Iterable[Initiative], *, user: Any = None) -> int:
    """Publish initiatives held for review (a source under moderation); each gets a history
    record saying who published it. Returns how many were published."""
    held = [i for i in initiatives if not i.published]
    if not held:
        return 0
    ensure_baseline(i.pk for i in held)
    now = timezone.now()
    for initiative in held:
        initiative.published = True
        initiative.updated_at = now  # bulk updates skip auto_now
    bulk_update_with_history(
        held,
        Initiative,
        ["published", "updated_at"],
        default_user=user if getattr(user, "is_authenticated", False) else None,
        default_change_reason=_("publiée après relecture"),
    )
    announce_inventory_change(Initiative, "initiatives publiées")
    return len(held)


@dataclass(frozen=True)
class FootprintFigure:
    """One footprint figure as an import brings it (see `plan_footprints`)."""

    platform: str
    territory_id: str
    metric: str
    date: datetime.date
    value: float
    unit: str = ""
    category_id: str | None = None
    breakdown: dict[str, float] = field(default_factory=dict)
    source_name: str = ""
    source_url: str = ""
    source_licence: str = ""
    notes: str = ""

    @property
    def key(self) -> tuple[str, str, str, datetime.date]:
        return (self.platform, self.territory_id, self.metric, self.date)


_FIGURE_FIELDS = (
    "value", "unit", "category_id", "breakdown", "source_name", "source_url", "source_licence",
    "notes",
)  # fmt: skip


@dataclass
class FootprintPlan:
    """What writing an import's figures would change; `conflicts`: figures another source
    (or a person) already gave for the same platform, territory, measure and date — never
    replaced by an import."""

    new: list[FootprintFigure] = field(default_factory=list)
    changed: list[tuple[int, FootprintFigure]] = field(default_factory=list)
    unchanged: int = 0
    removed: list[int] = field(default_factory=list)
    conflicts: list[tuple[FootprintFigure, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "updated": len(self.changed),
            "unchanged": self.unchanged,
            "removed": len(self.removed),
            "conflicts": len(self.conflicts),
        }


def plan_footprints(origin: str, figures: list[FootprintFigure]) -> FootprintPlan:
    """Compare an import's figures with what is stored (reads only: a dry run stops here).

    The import of source `origin` is the truth for the platforms and dates it brings: its
    figures are inserted or updated, and those it wrote before for the same platforms and
    dates but no longer brings are removed."""
    plan = FootprintPlan()
    scopes = {(f.platform, f.date) for f in figures}
    platforms = {p for p, _d in scopes}
    dates = {d for _p, d in scopes}
    stored: dict[tuple[str, str, str, datetime.date], tuple[int, str, dict[str, Any]]] = {}
    rows = PlatformFootprint.objects.filter(platform__in=platforms, date__in=dates).values(
        "pk", "platform", "territory_id", "metric", "date", "origin", *_FIGURE_FIELDS
    )
    for row in rows:
        key = (row["platform"], row["territory_id"], row["metric"], row["date"])
        stored[key] = (row["pk"], row["origin"], {f: row[f] for f in _FIGURE_FIELDS})
    brought = set()
    for figure in figures:
        brought.add(figure.key)
        found = stored.get(figure.key)
        if found is None:
            plan.new.append(figure)
            continue
        pk, owner, values = found
        if owner != origin:
            plan.conflicts.append((figure, owner))
        elif values != {f: getattr(figure, f) for f in _FIGURE_FIELDS}:
            plan.changed.append((pk, figure))
        else:
            plan.unchanged += 1
    plan.removed = sorted(
        pk
        for key, (pk, owner, _values) in stored.items()
        if owner == origin and key not in brought and (key[0], key[3]) in scopes
    )
    # Figures of this origin at other dates of the same platforms stay: another snapshot.
    return plan


def apply_footprints(origin: str, plan: FootprintPlan) -> None:
    """Write a plan (in the caller's transaction: an import's last one)."""
    PlatformFootprint.objects.filter(pk__in=plan.removed, origin=origin).delete()
    PlatformFootprint.objects.bulk_create(
        [
            PlatformFootprint(
                platform=f.platform,
                territory_id=f.territory_id,
                metric=f.metric,
                date=f.date,
                origin=origin,
                **{name: getattr(f, name) for name in _FIGURE_FIELDS},
            )
            for f in plan.new
        ],
        batch_size=1000,
    )
    now = timezone.now()
    changed = []
    for pk, f in plan.changed:
        row = PlatformFootprint(pk=pk, updated_at=now)
        for name in _FIGURE_FIELDS:
            setattr(row, name, getattr(f, name))
        changed.append(row)
    PlatformFootprint.objects.bulk_update(changed, [*_FIGURE_FIELDS, "updated_at"], batch_size=1000)
