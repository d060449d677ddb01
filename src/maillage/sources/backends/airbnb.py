"""Inside Airbnb `listings.csv` (the summary file, one row per listing): the footprint of
short-term rentals per commune (`maillage import footprint-airbnb`).

Each listing is placed in its commune by its point (blurred by Airbnb by up to ~150 m; the
`neighbourhood` names, which lose their accents in some files, are not read), and inside
Paris, Lyon and Marseille in its municipal arrondissement. The host's name and id and the
listing's title are never kept: they are replaced in the stored row by the personal-data
mark. The figures are dated by the mapping's `date` (`--date`), else by the most recent
`last_review` of the file — the job's notes say which.
"""

import csv
import datetime
import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maillage.catalog import footprint_metrics as m
from maillage.catalog.services import FootprintFigure

from ..errors import SourceFileError
from ..listings import (
    ENTIRE_HOME,
    INVALID,
    NUMBER,
    ROOM_TYPES,
    Listing,
    ListingArea,
    ListingCounts,
    registration,
)
from ..personal import REDACTED
from ..records import RawRow
from .footprint_base import FootprintBackend, FootprintRow
from .plain_tables import PlainCsv, broken_row
from .tabular_detect import CsvLayout

PLATFORM = "Airbnb"
REQUIRED = ("id", "latitude", "longitude", "room_type")
SURVEY_CHUNK = 20000
SURVEY_COLUMNS = ("longitude", "latitude", "neighbourhood_group", "neighbourhood")
# Cells never kept: personal data (the host), and the title, which often names the host.
NOT_KEPT = ("host_name", "host_id", "name")


def _int(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value == int(value) else None


def _float(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _labels(data: dict[str, Any]) -> tuple[str, str]:
    """(neighbourhood of the commune, neighbourhood of the arrondissement) of a row."""
    part = str(data.get("neighbourhood") or "").strip()
    return str(data.get("neighbourhood_group") or "").strip() or part, part


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


class AirbnbListingsBackend(FootprintBackend):
    name = "footprint-airbnb"
    label = "Inside Airbnb, listings.csv (empreinte par commune)"
    default_licence = "CC BY 4.0 — Inside Airbnb (insideairbnb.com)"
    checks_cells = True  # the csv reader does
    tracks_presence = True  # a listing absent from the next snapshot is archived

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts = ListingCounts()
        self.latest_review: datetime.date | None = None
        self.seen: dict[str, int] = {}  # listing id → first row
        self.area = ListingArea()
        self.moved = 0  # listings counted in their neighbourhood's commune, not their point's
        unknown = sorted(set(self.options.mapping) - {"date"})
        if unknown:
            raise SourceFileError(
                _("correspondance : clé(s) inconnue(s) %(keys)s (attendue : date)")
                % {"keys": ", ".join(unknown)}
            )
        self.given_date = check_date(self.options.mapping.get("date"))

    @property
    def effective_mapping(self) -> dict[str, Any] | None:
        return {"date": self.given_date.isoformat()} if self.given_date else None

    def rows(self, path: Path) -> Iterator[RawRow]:
        reader = PlainCsv(id_column="id")
        rows = reader.rows(path)
        first = next(rows, None)
        self.notes = list(reader.notes)
        missing = [c for c in REQUIRED if c not in reader.header]
        if missing:
            raise SourceFileError(
                _(
                    "%(file)s : colonne(s) absente(s) %(missing)s : ce n'est pas un fichier "
                    "listings.csv d'Inside Airbnb (colonnes présentes : %(present)s)"
                )
                % {
                    "file": path.name,
                    "missing": ", ".join(missing),
                    "present": ", ".join(reader.header[:30]),
                }
            )
        self.notes.append(
            _(
                "nom et identifiant de l'hôte, titre de l'annonce : jamais gardés (remplacés "
                "par « %(mark)s » dans les lignes conservées)"
            )
            % {"mark": REDACTED}
        )
        if first is not None:
            assert reader.layout is not None  # known once the first row is read
            self._survey(path, reader.layout)
            yield first
            yield from rows

    def _survey(self, path: Path, layout: CsvLayout) -> None:
        """A first pass over the points and neighbourhoods only (plain CSV records, read as
        the main pass reads them): the file's area (see listings.ListingArea)."""
        header = layout.header
        at = {name: header.index(name) for name in SURVEY_COLUMNS if name in header}
        width = max(at.values()) + 1
        lon_at, lat_at = at["longitude"], at["latitude"]
        group_at, part_at = at.get("neighbourhood_group"), at.get("neighbourhood")
        points: list[tuple[float, float, str, str]] = []
        with path.open(encoding=layout.encoding, newline="") as handle:
            records = csv.reader(handle, delimiter=layout.delimiter)
            for _title in itertools.islice(records, layout.header_index + 1):
                pass
            for record in records:
                if len(record) < width:
                    continue
                lon, lat = _float(record[lon_at]), _float(record[lat_at])
                if lon is None or lat is None:
                    continue
                part = record[part_at].strip() if part_at is not None else ""
                group = record[group_at].strip() if group_at is not None else ""
                points.append((lon, lat, group or part, part))
                if len(points) == SURVEY_CHUNK:
                    self._vote(points)
                    points = []
        self._vote(points)
        self.area.finish()

    def _vote(self, points: list[tuple[float, float, str, str]]) -> None:
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        communes = self.ctx.locate(lons, lats)
        parts = self.ctx.subdivisions.locate(communes, lons, lats)
        for (_lon, _lat, label, part_label), commune, part in zip(
            points, communes, parts, strict=True
        ):
            self.area.add(label, part_label, commune, part)

    def read(self, rows: list[RawRow]) -> list[FootprintRow]:
        parsed = [self._parse(row) for row in rows]
        placed = [p for p in parsed if not p.rejected]
        lons = [p.state.pop("_lon") for p in placed]
        lats = [p.state.pop("_lat") for p in placed]
        communes = self.ctx.locate(lons, lats)
        parts = self.ctx.subdivisions.locate(communes, lons, lats)
        for p, commune, part in zip(placed, communes, parts, strict=True):
            self._place(p, commune, part, _labels(p.row.data))
        return parsed

    def _parse(self, row: RawRow) -> FootprintRow:
        data = row.data
        kept = {
            k: (REDACTED if k in NOT_KEPT and v not in (None, "") else v) for k, v in data.items()
        }
        result = FootprintRow(row=row, kept=kept, category=m.SHORT_TERM_LETTING)
        problem = broken_row(data)
        listing_id = str(data.get("id") or "").strip()
        lon, lat = _float(str(data.get("longitude") or "")), _float(str(data.get("latitude") or ""))
        if problem is None and not listing_id:
            problem = _("identifiant d'annonce absent (colonne id)")
        if problem is None and (lon is None or lat is None):
            problem = _(
                "coordonnées absentes ou illisibles : latitude « %(lat)s », longitude « %(lon)s »"
            ) % {
                "lat": str(data.get("latitude") or "")[:40],
                "lon": str(data.get("longitude") or "")[:40],
            }
        if (
            problem is None
            and lon is not None
            and lat is not None
            and not (-90 <= lat <= 90 and -180 <= lon <= 180)
        ):
            problem = _("coordonnées impossibles : latitude %(lat)s, longitude %(lon)s") % {
                "lat": lat,
                "lon": lon,
            }
        if problem is None and listing_id in self.seen:
            result.skipped = result.rejected = True
            result.reasons.append(
                _("annonce répétée : même identifiant que la ligne %(row)s, comptée une fois")
                % {"row": self.seen[listing_id]}
            )
            return result
        if problem is not None:
            result.rejected = True
            result.reasons.append(problem)
            return result
        self.seen[listing_id] = row.number
        result.key = listing_id
        room_type = str(data.get("room_type") or "").strip()
        if room_type not in ROOM_TYPES:
            result.reasons.append(
                _(
                    "type de logement inconnu « %(type)s » : annonce comptée, pas comme logement entier"
                )
                % {"type": room_type[:60]}
            )
        availability = _int(str(data.get("availability_365") or ""))
        if availability is None or not 0 <= availability <= 365:
            result.reasons.append(
                _("disponibilité illisible « %(value)s » : non comptée au-delà de 90 ou 120 nuits")
                % {"value": str(data.get("availability_365") or "")[:40]}
            )
            availability = None
        kind, number = registration(str(data.get("license") or ""))
        hosted = _int(str(data.get("calculated_host_listings_count") or ""))
        if hosted is None or hosted < 1:
            result.reasons.append(
                _(
                    "nombre d'annonces de l'hôte illisible « %(value)s » : hôte compté comme ayant une seule annonce"
                )
                % {"value": str(data.get("calculated_host_listings_count") or "")[:40]}
            )
            hosted = 1
        reviewed = _date(str(data.get("last_review") or ""))
        if reviewed is not None and (self.latest_review is None or reviewed > self.latest_review):
            self.latest_review = reviewed
        result.state = {
            "room_type": room_type,
            "availability_365": availability,
            "license": kind,
            "calculated_host_listings_count": hosted,
            "_lon": lon,
            "_lat": lat,
        }
        if kind == NUMBER:
            result.state["license_insee"] = number[:5]
        return result

    def _place(
        self, row: FootprintRow, commune: str | None, part: str | None, labels: tuple[str, str]
    ) -> None:
        if commune is None:
            row.rejected = True
            row.key = ""
            row.reasons.append(_("hors de France : le point n'est dans aucune commune"))
            return
        label, part_label = labels
        home = self.area.commune_of_label.get(label)
        if home is not None and commune not in self.area.communes:
            row.reasons.append(
                _(
                    "point hors de la zone du fichier (dans %(point)s, point flouté par Airbnb) : "
                    "compté à %(home)s, la commune de son quartier « %(label)s »"
                )
                % {"point": self.ctx.name(commune), "home": self.ctx.name(home), "label": label}
            )
            self.moved += 1
            commune, part = home, None
        if part is None and commune in self.ctx.subdivisions.communes:
            guess = self.area.part_of_label.get(part_label)
            if guess is not None and guess in self._parts_of(commune):
                part = guess
                row.reasons.append(
                    _(
                        "point hors des contours des arrondissements : compté dans %(part)s, "
                        "l'arrondissement de son quartier « %(label)s »"
                    )
                    % {"part": self.ctx.subdivisions.parts[guess].name, "label": part_label}
                )
            else:
                row.reasons.append(
                    _(
                        "point hors des arrondissements de %(commune)s : compté pour la commune "
                        "seulement"
                    )
                    % {"commune": self.ctx.name(commune)}
                )
        row.commune_id = commune
        state = row.state
        state["commune"] = commune
        state["arrondissement"] = part or ""
        insee = state.pop("license_insee", "")
        if insee:
            declared = self.ctx.commune_of(insee)
            if declared is None:
                state["license"] = INVALID
                row.reasons.append(
                    _(
                        "numéro d'enregistrement invalide : %(code)s, ses 5 premiers chiffres, "
                        "n'est le code d'aucune commune ; compté à part"
                    )
                    % {"code": insee}
                )
            elif declared != commune:
                row.reasons.append(
                    _(
                        "numéro d'enregistrement d'une autre commune (%(code)s, %(name)s) : compté comme numéro"
                    )
                    % {"code": insee, "name": self.ctx.name(declared)}
                )
        self.counts.add(
            Listing(
                commune_id=commune,
                subdivision=part or "",
                entire=state["room_type"] == ENTIRE_HOME,
                availability=state["availability_365"],
                registration=state["license"],
                multi_host=state["calculated_host_listings_count"] > 1,
            )
        )

    def date_described(self) -> datetime.date | None:
        return self.given_date or self.latest_review

    def _parts_of(self, commune: str) -> set[str]:
        return {p.code for p in self.ctx.subdivisions.of_commune(commune)}

    def final_notes(self) -> list[str]:
        notes = [self.date_note()]
        if self.area.communes:
            notes.append(
                ngettext(
                    "zone du fichier : %(count)s commune (celle où tombent la plupart des "
                    "annonces de chaque quartier du fichier) ; %(moved)s annonce(s) dont le "
                    "point flouté tombe hors de cette zone comptée(s) dans la commune de leur "
                    "quartier",
                    "zone du fichier : %(count)s communes (celle où tombent la plupart des "
                    "annonces de chaque quartier du fichier) ; %(moved)s annonce(s) dont le "
                    "point flouté tombe hors de cette zone comptée(s) dans la commune de leur "
                    "quartier",
                    len(self.area.communes),
                )
                % {"count": len(self.area.communes), "moved": self.moved}
            )
        return [n for n in notes if n]

    def date_note(self) -> str:
        if self.given_date is not None:
            return _("date du relevé : %(date)s, donnée à l'import (--date)") % {
                "date": self.given_date.isoformat()
            }
        if self.latest_review is not None:
            return _(
                "date du relevé : %(date)s, le dernier avis du fichier (last_review le plus "
                "récent ; --date pour en donner une autre)"
            ) % {"date": self.latest_review.isoformat()}
        return ""

    def figures(self) -> list[FootprintFigure]:
        date = self.date_described()
        if date is None:
            if not self.counts.communes:
                return []
            raise SourceFileError(
                _(
                    "aucune date pour ces chiffres : aucun avis daté dans le fichier (last_review) ; "
                    "donnez la date du relevé avec --date AAAA-MM-JJ"
                )
            )
        if self.given_date and self.latest_review and self.given_date < self.latest_review:
            raise SourceFileError(
                _(
                    "la date du relevé donnée (%(given)s) précède le dernier avis du fichier "
                    "(%(latest)s) : un relevé ne contient pas d'avis postérieurs ; vérifiez "
                    "--date (ou la date gardée dans la correspondance de la source)"
                )
                % {"given": self.given_date.isoformat(), "latest": self.latest_review.isoformat()}
            )
        category = m.SHORT_TERM_LETTING if self.ctx.category_exists(m.SHORT_TERM_LETTING) else None
        return self.counts.figures(
            platform=PLATFORM,
            date=date,
            category=category,
            source_name=self.source_name,
            source_licence=self.source_licence,
            notes=self.date_note(),
            subdivisions_of=lambda cid: [p.code for p in self.ctx.subdivisions.of_commune(cid)],
        )


def check_date(value: object) -> datetime.date | None:
    """The mapping's `date` (YYYY-MM-DD); SourceFileError (French) when malformed."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SourceFileError(
        _(
            "date du relevé invalide : « %(value)s » (forme attendue : AAAA-MM-JJ, par exemple 2024-03-23)"
        )
        % {"value": str(value)[:40]}
    )
