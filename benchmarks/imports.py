"""The imports benchmark: a generated CSV of initiatives imported end to end into SQLite.

1. A fresh temporary SQLite database: `maillage migrate` + `maillage load-referential`.
2. A CSV of MAILLAGE_BENCH_IMPORT_ROWS rows (default 1,000,000; `;`, UTF-8) of realistic
   initiatives — names from per-category patterns, French category labels of the typology
   (translated by the mapping's `category.values` table), points spread like the population
   (communes of that database drawn ∝ population, a random point inside the commune), INSEE
   code (sometimes a postcode), address, website, creation date — with 5 % bad rows spread
   through the file (see BAD_KINDS), and its mapping JSON.
3. The ceiling: a raw `sqlite3` `executemany` of the same rows into a plain table of a fresh
   SQLite file (WAL, synchronous=NORMAL, like Maillage), in one transaction.
4. `maillage import csv FILE --mapping MAPPING --source bench` as a subprocess, timed wall
   clock, with the peak memory of its process tree (the import forks a parsing process)
   sampled from /proc.
5. A second ceiling: the rows that import wrote (initiatives, source records, report rows)
   executemany'd into the same empty tables of a copy of the database — SQLite's own cost
   for Maillage's schema and indexes, with no reading or checking.
6. The same command again (re-import of the identical file: replayed): wall time, speed-up,
   and the writes to initiatives (rows, max `updated_at`, history rows) before and after.
7. A copy of the file with 1 % of the names changed, imported: the row-by-row path of a
   monthly update (unchanged rows skipped by their hash), timed.

Everything lives in a temporary directory removed at the end.
"""

import csv
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.sampling import SEA_BOXES, population_points

SEED = 20260102
ROWS_ENV = "MAILLAGE_BENCH_IMPORT_ROWS"
DEFAULT_ROWS = 1_000_000
BAD_SHARE = 0.05
TARGETS = {
    "import_rows_per_s": 25_000,
    "ratio_to_ceiling": 0.3,
    "peak_rss_mb": 1536,
    "reimport_speedup": 5,
    "initiative_writes_on_reimport": 0,
}
TYPOLOGY = Path(__file__).resolve().parents[1] / "src/maillage/catalog/data/typology.json"
COLUMNS = (
    "id", "nom", "categorie", "adresse", "code_insee", "latitude", "longitude", "site_web",
    "date_creation",
)  # fmt: skip
MAPPING_FIELDS = {
    "remote_id": "id",
    "name": "nom",
    "address": "adresse",
    "insee_code": "code_insee",
    "lat": "latitude",
    "lon": "longitude",
    "website": "site_web",
    "created_on": "date_creation",
}
# What each kind of bad row is, and what the engine should do with it.
BAD_KINDS = {
    "no_name_no_category": "rejected: no name and no category to build one",
    "point_at_sea": "rejected: outside France",
    "unparseable_coordinates": "flagged (coordinates unreadable) or rejected",
    "swapped_lat_lon": "accepted, corrected with a note",
    # An earlier row's id with other values: the id is not one for that row, which is known
    # by its content instead (sources/repeats.py); an identical repeat would be skipped.
    "repeated_id": "new, known by its content (file note: repeated id)",
    "future_date": "accepted, date dropped with a note",
    "latitude_out_of_range": "rejected: impossible coordinates / outside France",
}
UNPARSEABLE = [
    ("48°51'24\"N", "2°21'07\"E"),
    ("N/A", "N/A"),
    ("à compléter", ""),
    ("45.76.4", "4.83.5"),
    ("inconnue", "inconnue"),
    ("47,2184 N", "-1,5536 O"),
]
# Weights of the categories in the file (others: 1).
WEIGHTS = {
    "covoiturage": 12, "boites-a-livres": 10, "amap": 6, "repair-cafe": 6, "jardin-partage": 6,
    "coworking": 5, "tiers-lieu": 4, "ressourcerie": 4, "fablab": 3, "velos-partages": 3,
    "supermarche-cooperatif": 3, "anti-gaspillage": 3, "autopartage": 2, "sel-banque-temps": 2,
}  # fmt: skip
# Shorter labels that real files use, added to the mapping's value table.
SYNONYMS = {
    "Aire de covoiturage": "covoiturage",
    "Boîte à livres": "boites-a-livres",
    "Repair Café": "repair-cafe",
    "Jardin partagé": "jardin-partage",
    "Tiers-lieu": "tiers-lieu",
    "Fablab": "fablab",
    "Recyclerie": "ressourcerie",
    "Épicerie coopérative": "supermarche-cooperatif",
}
UNKNOWN_CATEGORY = "Autre"  # absent from the table: the row goes to « à classer »
PATTERNS = {
    "covoiturage": [
        "Aire de covoiturage {commune}",
        "Aire de covoiturage {commune} — {lieu}",
        "Parking relais covoiturage {de_commune}",
    ],
    "autopartage": ["Autopartage {de_commune}", "Voiture partagée du quartier {quartier}"],
    "location-vehicules-particuliers": ["Location entre voisins {commune}"],
    "velos-partages": ["Vélos en libre-service {de_commune}", "Station vélo {commune} {quartier}"],
    "autostop-organise": ["Arrêt d'autostop {commune} — {lieu}"],
    "transport-solidaire": ["Transport solidaire {de_commune}"],
    "don-objets": ["Zone de gratuité {de_commune}", "Givebox {commune} {quartier}"],
    "boites-a-livres": [
        "Boîte à livres — {commune}",
        "Boîte à livres {quartier}",
        "Boîte à lire {de_commune}",
    ],
    "seconde-main": ["Dépôt-vente solidaire {de_commune}"],
    "ressourcerie": ["Ressourcerie {de_commune}", "Recyclerie La {noun}"],
    "location-pret-objets": ["Prêt d'objets entre voisins {commune}"],
    "objetheque": ["Outilthèque {de_commune}", "Bibliothèque d'objets {commune}"],
    "repair-cafe": [
        "Repair Café {de_commune}",
        "Repair Café {commune} {quartier}",
        "Atelier vélo participatif {de_commune}",
    ],
    "troc": ["Grainothèque {de_commune}", "Troc'party {commune}"],
    "amap": ["AMAP {de_commune}", "AMAP du quartier {quartier}", "AMAP La {noun}"],
    "circuit-court-plateforme": ["Drive fermier {de_commune}"],
    "supermarche-cooperatif": [
        "Épicerie coopérative {de_commune}",
        "Supermarché coopératif La {noun}",
        "Groupement d'achat {commune}",
    ],
    "anti-gaspillage": ["Frigo solidaire {commune} {quartier}", "Disco Soupe {de_commune}"],
    "jardin-partage": [
        "Jardin partagé {quartier}",
        "Jardin partagé {de_commune}",
        "Jardins familiaux {de_commune}",
    ],
    "coworking": ["Coworking {commune}", "Espace de coworking La {noun}"],
    "fablab": ["Fablab {commune}", "FabLab {de_commune}", "Hackerspace {commune}"],
    "tiers-lieu": ["Tiers-lieu La {noun}", "La {noun}, tiers-lieu {de_commune}"],
    "habitat-participatif": ["Habitat participatif {quartier}", "Écohameau {de_commune}"],
    "energie-citoyenne": ["Centrale villageoise {de_commune}", "{commune} Énergies citoyennes"],
    "monnaie-locale": ["Comptoir de la monnaie locale {de_commune}"],
    "sel-banque-temps": ["SEL {de_commune}", "Accorderie {de_commune}"],
    "echange-savoirs": ["Réseau d'échanges de savoirs {de_commune}"],
    "budget-participatif": ["Budget participatif {de_commune}"],
    "cooperative-territoriale": ["SCIC La {noun}", "PTCE {de_commune}"],
    "communs-numeriques": ["Café numérique {de_commune}"],
}
QUARTIERS = [
    "Centre", "Gare", "Bourg", "Saint-Martin", "Bellevue", "Les Tilleuls", "La Croix-Rouge",
    "Beauregard", "Le Moulin", "Champ-Fleuri", "Les Coteaux", "La Source", "Le Port",
    "Les Capucins", "Les Prés", "Saint-Jacques", "La Madeleine", "Les Hauts",
]  # fmt: skip
NOUNS = [
    "Fabrique", "Manufacture", "Ruche", "Grange", "Filature", "Cordée", "Forge", "Halle",
    "Bergerie", "Passerelle", "Cantine", "Serre", "Station", "Coopérative", "Maison commune",
]  # fmt: skip
LIEUX = ["Échangeur", "Gare", "Zone d'activités", "Centre", "Salle des fêtes", "Collège"]
VOIES = ["rue", "avenue", "place", "chemin", "boulevard", "impasse", "allée", "route"]
STREETS = [
    "de la République", "Victor Hugo", "Jean Jaurès", "de la Gare", "des Écoles", "du Moulin",
    "Pasteur", "de l'Église", "des Lilas", "du Général de Gaulle", "Jean Moulin", "des Prés",
    "de la Mairie", "Émile Zola", "du Stade", "des Acacias",
]  # fmt: skip
SITES = ["https://www.{slug}.fr", "http://{slug}.org", "https://{slug}.wordpress.com"]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _de(name: str) -> str:
    """French « de » before a commune name: du Mans, des Sables-d'Olonne, d'Angers."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if name[:1] in "AEIOUYÉÈÊÎÔÂH" and not name.startswith("L'"):
        return "d'" + name
    return "de " + name


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def _categories() -> tuple[list[str], dict[str, str]]:
    """Codes of the typology and their French labels, read from typology.json."""
    data = json.loads(TYPOLOGY.read_text(encoding="utf-8"))
    labels = {c["code"]: c["label_fr"] for f in data["families"] for c in f["categories"]}
    return list(labels), labels


def _referential(db: Path) -> dict[str, Any]:
    """Communes of the benchmark database (with geometry and population) and their postcodes."""
    import shapely

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT id, code, name, population, bbox, geometry FROM territories_territory "
        "WHERE level = 'com' AND geometry IS NOT NULL AND population > 0 ORDER BY code"
    ).fetchall()
    postcodes: dict[str, list[str]] = {}
    for code, commune in con.execute(
        "SELECT code, commune_id FROM territories_postalcode ORDER BY code"
    ):
        postcodes.setdefault(commune, []).append(code)
    con.close()
    return {
        "codes": [r[1] for r in rows],
        "names": [r[2] for r in rows],
        "population": [r[3] for r in rows],
        "bbox": [json.loads(r[4]) for r in rows],
        "geoms": shapely.from_wkb([bytes(r[5]) for r in rows]),
        "postcodes": [postcodes.get(r[0], []) for r in rows],
    }


def generate_rows(
    n: int, ref: dict[str, Any]
) -> tuple[list[tuple[str, ...]], dict[int, str], dict[str, str]]:
    """The file's rows (as text), the kind of every bad row (by 0-based index), and the
    mapping's category table."""
    rng = np.random.default_rng(SEED)
    codes, labels = _categories()
    table = {label: code for code, label in labels.items()}
    table.update({label: code for label, code in SYNONYMS.items() if code in labels})

    lons, lats, communes = population_points(
        ref["population"], ref["bbox"], ref["geoms"], n, rng, outside_share=0.0
    )
    weights = np.array([WEIGHTS.get(c, 1) for c in codes], dtype=float)
    cat = rng.choice(len(codes), size=n, p=weights / weights.sum())
    u = rng.random((n, 8))  # independent uniforms for the per-row choices
    days = rng.integers(
        datetime.date(1995, 1, 1).toordinal(), datetime.date(2024, 12, 31).toordinal(), size=n
    )
    numbers = rng.integers(1, 180, size=n)

    bad_at = rng.choice(n, size=int(round(n * BAD_SHARE)), replace=False)
    kinds = list(BAD_KINDS)
    bad = {int(i): kinds[k % len(kinds)] for k, i in enumerate(rng.permutation(bad_at))}

    synonyms_of: dict[str, list[str]] = {}
    for label, code in SYNONYMS.items():
        synonyms_of.setdefault(code, []).append(label)

    rows: list[tuple[str, ...]] = []
    for i in range(n):
        c = int(communes[i])
        commune, insee, postcodes = ref["names"][c], ref["codes"][c], ref["postcodes"][c]
        code = codes[int(cat[i])]
        r = u[i]
        patterns = PATTERNS.get(code) or ["{label} — {commune}"]
        name = patterns[int(r[0] * len(patterns))].format(
            commune=commune,
            de_commune=_de(commune),
            quartier=QUARTIERS[int(r[1] * len(QUARTIERS))],
            noun=NOUNS[int(r[1] * len(NOUNS))],
            lieu=LIEUX[int(r[1] * len(LIEUX))],
            label=labels[code],
        )
        if r[2] < 0.01:
            category = UNKNOWN_CATEGORY
        elif r[2] < 0.2 and code in synonyms_of:
            category = synonyms_of[code][0]
        elif r[2] < 0.25:  # as typed by hand: lower case, no accents
            category = _slug(labels[code]).replace("-", " ")
        else:
            category = labels[code]
        postcode = postcodes[0] if postcodes else insee
        street = f"{numbers[i]} {VOIES[int(r[3] * len(VOIES))]} "
        street += STREETS[int(r[4] * len(STREETS))]
        address = f"{street}, {postcode} {commune}"
        declared = insee
        if r[5] < 0.04 and postcode != insee:
            declared = postcode  # a postcode in the INSEE column, as real files do
        elif r[5] > 0.99:
            declared = ""
        site = ""
        if r[6] < 0.35:
            site = SITES[int(r[6] / 0.35 * len(SITES))].format(slug=_slug(name)[:60])
        date = ""
        if r[7] < 0.6:
            day = datetime.date.fromordinal(int(days[i]))
            date = day.isoformat() if r[7] < 0.45 else day.strftime("%d/%m/%Y")
        lat, lon = f"{lats[i]:.6f}", f"{lons[i]:.6f}"
        rid = f"INI-{i + 1:07d}"

        kind = bad.get(i)
        if kind == "no_name_no_category":
            name, category = "", ""
        elif kind == "point_at_sea":
            box = SEA_BOXES[int(r[1] * len(SEA_BOXES))]
            lon = f"{box[0] + r[3] * (box[2] - box[0]):.6f}"
            lat = f"{box[1] + r[4] * (box[3] - box[1]):.6f}"
        elif kind == "unparseable_coordinates":
            lat, lon = UNPARSEABLE[int(r[3] * len(UNPARSEABLE))]
        elif kind == "swapped_lat_lon":
            lat, lon = lon, lat
        elif kind == "repeated_id":
            earlier = int(r[3] * i)
            while earlier in bad and earlier > 0:
                earlier -= 1
            rid = f"INI-{earlier + 1:07d}"
        elif kind == "future_date":
            date = f"{2030 + int(r[3] * 10)}-{1 + int(r[4] * 12):02d}-15"
        elif kind == "latitude_out_of_range":
            # A misplaced decimal point (488.566) or a value just beyond 90.
            lat = f"{lats[i] * 10:.3f}" if r[3] < 0.5 else f"{90 + r[4] * 9 + 0.5:.6f}"
        rows.append((rid, name, category, address, declared, lat, lon, site, date))
    return rows, bad, table


def write_csv(path: Path, rows: list[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def ceiling(path: Path, rows: list[tuple[str, ...]]) -> dict[str, Any]:
    """Raw executemany of the same rows (text, coordinates as REAL) in one transaction."""
    values = [(*r[:5], _number(r[5]), _number(r[6]), *r[7:]) for r in rows]
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(
        "CREATE TABLE initiative (id TEXT, nom TEXT, categorie TEXT, adresse TEXT, "
        "code_insee TEXT, latitude REAL, longitude REAL, site_web TEXT, date_creation TEXT)"
    )
    start = time.perf_counter()
    con.execute("BEGIN")
    con.executemany("INSERT INTO initiative VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return {"seconds": round(seconds, 3), "rows_per_s": round(len(rows) / seconds)}


def _tree(pid: int) -> list[int]:
    """The process and its descendants (the import forks a parsing process)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                continue
    return found


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
PSS_EVERY = 5  # samples: PSS walks every page of the processes, RSS is a counter


def _rss_kb(pids: list[int]) -> int:
    """Sum of RSS over processes, in kB, from /proc/<pid>/statm (a counter: cheap to read)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
    return total


def _pss_kb(pids: list[int]) -> int:
    """Sum of PSS (shared pages split between sharers) over processes, in kB."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _run_measured(
    command: list[str], env: dict[str, str], out: Path
) -> tuple[float, dict[str, float], int]:
    """Wall seconds, peak memory of the whole process tree (MB), return code.

    Memory is sampled from /proc: every 0.2 s the summed RSS of the import and its parsing
    process (shared copy-on-write pages counted twice: an upper bound), every 1 s their
    summed PSS (shared pages split: the memory really used). PSS is read less often because
    reading it walks every page of both processes: every 0.2 s, that took enough processor
    time from the import to slow it measurably."""
    peak_rss = peak_pss = 0
    with out.open("w", encoding="utf-8") as stdout:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=stdout)  # stderr shown
        sample = 0
        while process.poll() is None:
            pids = _tree(process.pid)
            peak_rss = max(peak_rss, _rss_kb(pids))
            if sample % PSS_EVERY == 0:
                peak_pss = max(peak_pss, _pss_kb(pids))
            sample += 1
            time.sleep(0.2)
        seconds = time.perf_counter() - start
    memory = {"peak_rss_mb": round(peak_rss / 1024, 1), "peak_pss_mb": round(peak_pss / 1024, 1)}
    return seconds, memory, process.returncode


def peak_rss_method() -> str:
    return (
        "sum over the import process and its parsing process, sampled from /proc: RSS every "
        "0.2 s from /proc/<pid>/statm (shared pages counted twice, the figure checked against "
        "the target), PSS every 1 s from /proc/<pid>/smaps_rollup (shared pages split)"
    )


OWN_TABLES = ("catalog_initiative", "sources_sourcerecord", "sources_harvestitem")


def ceiling_own_tables(empty_db: Path, filled_db: Path, work: Path) -> dict[str, Any]:
    """The rows the import wrote (initiatives, source records, report rows), executemany'd
    into the same, empty, tables of a copy of the database in one transaction: what SQLite
    alone costs for Maillage's schema and indexes, without reading or checking anything."""
    target = work / "own-tables.sqlite3"
    shutil.copy(empty_db, target)
    source = sqlite3.connect(f"file:{filled_db}?mode=ro", uri=True)
    tables = {t: source.execute(f"SELECT * FROM {t}").fetchall() for t in OWN_TABLES}
    source.close()
    con = sqlite3.connect(target, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    con.execute("BEGIN")
    longest = max(len(rows) for rows in tables.values())
    for k in range(0, longest, 2000):  # batches of every table in turn, like the import
        for table, rows in tables.items():
            if rows[k : k + 2000]:
                marks = ", ".join("?" * len(rows[0]))
                con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[k : k + 2000])
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return {"seconds": round(seconds, 2), "rows": {t: len(r) for t, r in tables.items()}}


def changed_copy(source: Path, target: Path, every: int) -> int:
    """A copy of the CSV with the name of every `every`-th row changed: a monthly update."""
    changed = 0
    with (
        source.open(encoding="utf-8", newline="") as inp,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        reader = csv.reader(inp, delimiter=";")
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(next(reader))
        for i, row in enumerate(reader):
            if i % every == 0 and row[1]:
                row[1] += " (nouveau nom)"
                changed += 1
            writer.writerow(row)
    return changed


def _state(db: Path) -> dict[str, Any]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    count, last = con.execute("SELECT count(*), max(updated_at) FROM catalog_initiative").fetchone()
    (history,) = con.execute("SELECT count(*) FROM catalog_historicalinitiative").fetchone()
    con.close()
    return {"initiatives": count, "max_updated_at": last, "history_rows": history}


def _updated_since(db: Path, moment: str | None) -> int:
    if moment is None:
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    (count,) = con.execute(
        "SELECT count(*) FROM catalog_initiative WHERE updated_at > ?", (moment,)
    ).fetchone()
    con.close()
    return count


def _reason_kind(reason: str) -> str:
    return reason.split(" : ")[0]


def bad_rows_outcomes(db: Path, job: int, bad: dict[int, str]) -> dict[str, Any]:
    """What the engine did with each kind of bad row (and with the good rows it rejected),
    read from the job's items: outcomes and the kinds of reasons given."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    by_kind: dict[str, dict[str, Counter]] = {
        k: {"outcomes": Counter(), "reasons": Counter()} for k in BAD_KINDS
    }
    good_rejected: Counter = Counter()
    good_flagged: Counter = Counter()
    query = con.execute(
        "SELECT row_number, outcome, reasons FROM sources_harvestitem "
        "WHERE job_id = ? AND row_number > 0",
        (job,),
    )
    for number, outcome, reasons in query:
        kind = bad.get(number - 1)
        texts = json.loads(reasons)
        if kind is None:
            if outcome == "rejected":
                good_rejected.update(_reason_kind(t) for t in texts)
            else:
                good_flagged.update(_reason_kind(t) for t in texts)
            continue
        by_kind[kind]["outcomes"][outcome] += 1
        by_kind[kind]["reasons"].update(_reason_kind(t) for t in texts)
    con.close()
    return {
        "bad_rows_by_kind": {
            kind: {
                "rows": sum(v["outcomes"].values()),
                "expected": BAD_KINDS[kind],
                "outcomes": dict(v["outcomes"]),
                "reasons": dict(v["reasons"].most_common(6)),
            }
            for kind, v in by_kind.items()
        },
        "good_rows_rejected": dict(good_rejected.most_common(6)),
        "good_rows_reasons": dict(good_flagged.most_common(8)),
    }


def _import(maillage: Path, env: dict[str, str], args: list[str], out: Path) -> dict[str, Any]:
    seconds, memory, code = _run_measured([str(maillage), "import", *args], env, out)
    if code != 0:
        raise RuntimeError(f"maillage import a échoué (code {code}) : {out.read_text()[-2000:]}")
    summary = json.loads(out.read_text(encoding="utf-8"))
    return {"seconds": seconds, **memory, "summary": summary}


CHANGED_EVERY = 100  # the changed-file re-import: 1 % of the rows renamed


def bench_imports() -> dict[str, Any]:
    n = int(os.environ.get(ROWS_ENV, DEFAULT_ROWS))
    maillage = Path(sys.executable).with_name("maillage")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="maillage-bench-imports-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "bench.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
        log("imports : migrate + load-referential dans une base temporaire…")
        subprocess.run([maillage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        subprocess.run(
            [maillage, "load-referential"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        empty_db = tmp / "empty.sqlite3"
        snapshot = sqlite3.connect(db)
        snapshot.execute(f"VACUUM INTO '{empty_db}'")
        snapshot.close()
        log(f"imports : génération de {n:,} lignes…")
        t0 = time.perf_counter()
        rows, bad, table = generate_rows(n, _referential(db))
        csv_path, mapping_path = tmp / "initiatives.csv", tmp / "mapping.json"
        write_csv(csv_path, rows)
        mapping = {
            "fields": MAPPING_FIELDS,
            "coordinates": "wgs84",
            "category": {"column": "categorie", "values": table},
        }
        mapping_path.write_text(json.dumps(mapping, ensure_ascii=False, indent=1), "utf-8")
        generation = time.perf_counter() - t0
        log("imports : plafond (executemany sqlite3)…")
        roof = ceiling(tmp / "ceiling.sqlite3", rows)
        del rows

        args = ["--mapping", str(mapping_path), "--source", "bench"]
        log("imports : premier import…")
        first = _import(maillage, env, ["csv", str(csv_path), *args], tmp / "first.json")
        log("imports : plafond dans les tables de Maillage…")
        own = ceiling_own_tables(empty_db, db, tmp)
        before = _state(db)
        log("imports : second import (fichier identique)…")
        second = _import(maillage, env, ["csv", str(csv_path), *args], tmp / "second.json")
        after = _state(db)
        updated = _updated_since(db, before["max_updated_at"])
        analysis = bad_rows_outcomes(db, first["summary"]["job"], bad)
        log("imports : troisième import (1 % des lignes modifiées)…")
        changed_path = tmp / "initiatives-changed.csv"
        changed_rows = changed_copy(csv_path, changed_path, CHANGED_EVERY)
        third = _import(maillage, env, ["csv", str(changed_path), *args], tmp / "third.json")
        file_mb = csv_path.stat().st_size / 1e6

    rate = n / first["seconds"]
    ratio = rate / roof["rows_per_s"]
    own_rate = n / own["seconds"]
    speedup = first["seconds"] / second["seconds"]
    writes = {
        "initiatives_added": after["initiatives"] - before["initiatives"],
        "initiatives_with_newer_updated_at": updated,
        "history_rows_added": after["history_rows"] - before["history_rows"],
    }
    total_writes = sum(writes.values())
    peak = max(first["peak_rss_mb"], second["peak_rss_mb"], third["peak_rss_mb"])
    measured = {
        "import_rows_per_s": round(rate),
        "ratio_to_ceiling": round(ratio, 3),
        "peak_rss_mb": peak,
        "reimport_speedup": round(speedup, 2),
        "initiative_writes_on_reimport": total_writes,
    }
    meets = {
        "import_rows_per_s": rate >= TARGETS["import_rows_per_s"],
        "ratio_to_ceiling": ratio >= TARGETS["ratio_to_ceiling"],
        "peak_rss_mb": peak <= TARGETS["peak_rss_mb"],
        "reimport_speedup": speedup >= TARGETS["reimport_speedup"],
        "initiative_writes_on_reimport": total_writes == 0,
    }
    return {
        "rows": n,
        "rows_env": ROWS_ENV,
        "bad_rows": len(bad),
        "csv_mb": round(file_mb, 1),
        "generation_seconds": round(generation, 1),
        "ceiling_seconds": roof["seconds"],
        "ceiling_rows_per_s": roof["rows_per_s"],
        "ceiling_own_tables_seconds": own["seconds"],
        "ceiling_own_tables_rows": own["rows"],
        "ceiling_own_tables_rows_per_s": round(own_rate),
        "ratio_to_own_tables_ceiling": round(rate / own_rate, 3),
        "import_seconds": round(first["seconds"], 2),
        "import_job_seconds": first["summary"].get("seconds"),
        "import_rows_per_s": measured["import_rows_per_s"],
        "ratio_to_ceiling": measured["ratio_to_ceiling"],
        "peak_rss_mb": first["peak_rss_mb"],
        "peak_pss_mb": first["peak_pss_mb"],
        "peak_memory_method": peak_rss_method(),
        "status": first["summary"].get("status"),
        "outcomes": first["summary"].get("outcomes"),
        "categories_a_classer": (first["summary"].get("categories") or {}).get("a-classer", 0),
        "reasons": dict(list((first["summary"].get("reasons") or {}).items())[:12]),
        "reimport_seconds": round(second["seconds"], 2),
        "reimport_job_seconds": second["summary"].get("seconds"),
        "reimport_peak_rss_mb": second["peak_rss_mb"],
        "reimport_outcomes": second["summary"].get("outcomes"),
        "reimport_replayed": any("fichier identique" in n for n in second["summary"]["file_notes"]),
        "reimport_speedup": measured["reimport_speedup"],
        "initiative_writes_on_reimport": total_writes,
        "initiative_writes_detail": writes,
        "initiatives_before_after": [before["initiatives"], after["initiatives"]],
        "changed_file_rows_changed": changed_rows,
        "changed_file_seconds": round(third["seconds"], 2),
        "changed_file_speedup": round(first["seconds"] / third["seconds"], 2),
        "changed_file_outcomes": third["summary"].get("outcomes"),
        "changed_file_peak_rss_mb": third["peak_rss_mb"],
        **analysis,
        "targets": TARGETS,
        "measured": measured,
        "meets_targets": meets,
        "total_seconds": round(time.perf_counter() - started, 1),
        "timing": "wall clock of `maillage import` as a subprocess (start-up, locator, job)",
    }
