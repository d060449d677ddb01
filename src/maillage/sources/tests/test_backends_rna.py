"""`rna`: associations of the national register whose purpose names a practice become
candidate initiatives, held for review; the others are skipped with their reason. Files written
here with the real headers of the « import » and « waldec » layouts (rows made up), then the
real Indre-et-Loire file, counted against pandas."""

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command

from maillage.catalog.models import Initiative
from maillage.sources.backends.rna import match
from maillage.sources.models import HarvestItem, Source
from maillage.sources.personal import REDACTED

IMPORT_HEADER = [
    "id",
    "id_ex",
    "siret",
    "gestion",
    "date_creat",
    "date_publi",
    "nature",
    "groupement",
    "titre",
    "objet",
    "objet_social1",
    "objet_social2",
    "adr1",
    "adr2",
    "adr3",
    "adrs_codepostal",
    "libcom",
    "adrs_codeinsee",
    "dir_civilite",
    "siteweb",
    "observation",
    "position",
    "rup_mi",
    "maj_time",
]
WALDEC_HEADER = [
    "id",
    "id_ex",
    "siret",
    "rup_mi",
    "gestion",
    "date_creat",
    "date_decla",
    "date_publi",
    "date_disso",
    "nature",
    "groupement",
    "titre",
    "titre_court",
    "objet",
    "objet_social1",
    "objet_social2",
    "adrs_complement",
    "adrs_numvoie",
    "adrs_repetition",
    "adrs_typevoie",
    "adrs_libvoie",
    "adrs_distrib",
    "adrs_codeinsee",
    "adrs_codepostal",
    "adrs_libcommune",
    "adrg_declarant",
    "adrg_complemid",
    "adrg_complemgeo",
    "adrg_libvoie",
    "adrg_distrib",
    "adrg_codepostal",
    "adrg_achemine",
    "adrg_pays",
    "dir_civilite",
    "siteweb",
    "publiweb",
    "observation",
    "position",
    "maj_time",
]
SKIPPED_HORS = "hors typologie"


def _write(path: Path, header: list[str], rows: list[dict[str, str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, header, delimiter=";", quoting=csv.QUOTE_ALL, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _import(path: Path, source: str = "rna-essai") -> dict:
    out = io.StringIO()
    call_command("import", "rna", str(path), "--source", source, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def _items() -> dict[str, HarvestItem]:
    return {item.remote_id: item for item in HarvestItem.objects.all()}


def old(id_: str, **cells: str) -> dict[str, str]:
    row = {"id": id_, "gestion": "372P", "nature": "D", "groupement": "S", "date_creat":
           "0001-01-01", "date_publi": "0001-01-01", "objet_social1": "000000",
           "objet_social2": "000000", "dir_civilite": "PM", "position": "A",
           "maj_time": "2006-05-03  05:32:32"}  # fmt: skip
    return row | cells


IMPORT_ROWS = [
    old("371S0371000014", gestion="371S", titre="T", objet="O", objet_social1="020000",
        adr1="HOTEL DE VILLE", adrs_codepostal="37500", libcom="CHINON",
        adrs_codeinsee="37072", date_creat="1904-04-28"),
    old("372P0372000001", titre="AMAP DES DEUX LIONS",
        objet="Soutenir une agriculture paysanne de proximite par des paniers hebdo- madaires",
        objet_social1="024000", date_publi="2004-05-12", adr1="12 rue Nationale",
        adrs_codepostal="37000", libcom="TOURS", adrs_codeinsee="37261"),
    old("372P0372000002", titre="REPAIR CAFE DE JOUE", objet="Reparer ensemble",
        position="D", adrs_codeinsee="37122", date_creat="2001-02-03"),
    old("372P0372000003", titre="JARDIN PARTAGE DES BATIGNOLLES",
        objet="Animer un jardin partage", adrs_codepostal="75017", libcom="PARIS",
        adrs_codeinsee="75056", date_creat="1999-09-09"),
    old("372P0372000004", titre="SEL DE LA VALLEE", objet="Echanges de services sans monnaie",
        adr1="CHEZ MME MARTIN", adr2="3 allee des Tilleuls", adrs_codepostal="37170",
        libcom="CHAMBRAY-LES-TOURS", adrs_codeinsee="37050", date_creat="2003-10-01"),
    old("372P0372000005", titre="RESSOURCERIE DU CHER", objet="Reemploi", position="R",
        adrs_codeinsee="37261"),
    old("372P0372000006", titre="UNION SPORTIVE DE MONNAIE", objet="Pratique du football",
        objet_social1="011075", adrs_codeinsee="37153"),
    old("372P0372000007", titre="COMITE DES FETES",
        objet="Faire revivre l'esprit et le sel du folklore tourangeau", adrs_codeinsee="37208"),
]  # fmt: skip


@pytest.mark.django_db
def test_the_import_layout_candidates_skips_and_placeholders(tmp_path):
    path = _write(
        tmp_path / "rna_import_20221101_dpt_37.csv", IMPORT_HEADER, IMPORT_ROWS, "latin-1"
    )
    summary = _import(path)
    assert summary["rows"] == 8
    assert summary["outcomes"]["new"] == 3
    assert summary["outcomes"]["skipped"] == 5
    assert summary["outcomes"]["rejected"] == 0
    assert summary["categories"] == {"amap": 1, "jardin-partage": 1, "sel-banque-temps": 1}
    assert Source.objects.get(name="rna-essai").moderation == Source.Moderation.REVIEW
    items = _items()
    assert any("ni titre ni objet" in r for r in items["371S0371000014"].reasons)
    assert any("association dissoute : position D" in r for r in items["372P0372000002"].reasons)
    assert any("position R" in r for r in items["372P0372000005"].reasons)
    assert any(SKIPPED_HORS in r for r in items["372P0372000006"].reasons)
    assert any(SKIPPED_HORS in r for r in items["372P0372000007"].reasons)  # salt is not a SEL
    # Candidates: held for review, out of public pages and counts, with the rule that matched.
    assert Initiative.objects.count() == 3
    assert not Initiative.objects.public().exists()
    amap = Initiative.objects.get(name="AMAP DES DEUX LIONS")
    assert amap.rna == ""  # an old-register id is no national number: kept as remote id
    assert (amap.category_id, amap.commune_id, amap.carrier) == ("amap", "com:37261", "association")
    assert "AMAP" in amap.category_rule
    assert "024000" in amap.category_rule
    assert str(amap.created_on) == "2004-05-12"  # 0001-01-01: the JO publication date instead
    assert "hebdomadaires" in amap.description  # the old register's hyphenation repaired
    assert any("date de publication au JO retenue" in r for r in items["372P0372000001"].reasons)
    assert any("à relire avant publication" in r for r in items["372P0372000001"].reasons)
    paris = Initiative.objects.get(name="JARDIN PARTAGE DES BATIGNOLLES")
    assert paris.commune_id == "com:75056"
    assert any("siège hors du département du fichier" in r for r in items["372P0372000003"].reasons)
    sel = Initiative.objects.get(name="SEL DE LA VALLEE")
    assert sel.address == "3 allee des Tilleuls"  # the line naming a person left out
    assert items["372P0372000004"].raw["adr1"] == REDACTED
    assert "MARTIN" not in json.dumps(
        list(HarvestItem.objects.values_list("raw", flat=True)), ensure_ascii=False
    )
    assert "dir_civilite" not in items["372P0372000004"].raw  # never read


@pytest.mark.django_db
def test_the_waldec_layout_with_dissolution_dates_and_personal_columns(tmp_path):
    rows = [
        {"id": "W9T1000001", "gestion": "9T1P", "date_creat": "2019-04-02",
         "date_decla": "2021-01-10", "date_publi": "2019-04-20", "date_disso": "0001-01-01",
         "nature": "D", "groupement": "S", "titre": "RESSOURCERIE DU VAL",
         "titre_court": "RESSOURCERIE", "objet": "collecte, valorisation et vente d'objets de "
         "reemploi", "objet_social1": "024000", "objet_social2": "000000",
         "adrs_numvoie": "8", "adrs_typevoie": "RUE", "adrs_libvoie": "des Lilas",
         "adrs_codeinsee": "37261", "adrs_codepostal": "37000", "adrs_libcommune": "Tours",
         "adrg_declarant": "DUPONTEL JEANNOT", "adrg_libvoie": "5 rue Privée",
         "adrg_codepostal": "37100", "adrg_achemine": "TOURS", "dir_civilite": "M",
         "siteweb": "www.ressourcerie-du-val.fr", "publiweb": "0", "position": "A",
         "maj_time": "2021-01-11 10:00:00"},
        {"id": "W372000002", "gestion": "372P", "date_creat": "2015-05-05",
         "date_disso": "2020-05-04", "titre": "FABLAB DE TOURS", "objet": "un fablab",
         "adrs_codeinsee": "37261", "position": "A"},
        {"id": "W372000003", "gestion": "372P", "date_creat": "2018-01-01",
         "date_disso": "0001-01-01", "titre": "LES BRICOLEURS NUMERIQUES",
         "objet": "gerer un fab lab et un repair cafe", "adrs_complement": "chez M. Durand",
         "adrs_codeinsee": "37261", "position": "A"},
    ]  # fmt: skip
    path = _write(tmp_path / "rna_waldec_20221101_dpt_37.csv", WALDEC_HEADER, rows, "utf-8")
    summary = _import(path, "rna-waldec")
    assert summary["outcomes"]["new"] == 2
    assert summary["outcomes"]["skipped"] == 1
    notes = " ".join(summary["file_notes"])
    assert "adrg_declarant" in notes
    assert "dir_civilite" in notes
    items = _items()
    assert any("date de dissolution 2020-05-04" in r for r in items["W372000002"].reasons)
    val = Initiative.objects.get(rna="W9T1000001")
    assert (val.category_id, val.address) == ("ressourcerie", "8 RUE des Lilas")
    assert str(val.created_on) == "2019-04-02"
    assert val.website == "https://www.ressourcerie-du-val.fr"
    # The first rule that matches: repair before fablab.
    assert Initiative.objects.get(rna="W372000003").category_id == "repair-cafe"
    stored = json.dumps(list(HarvestItem.objects.values_list("raw", flat=True)), ensure_ascii=False)
    assert "DUPONTEL" not in stored
    assert "Privée" not in stored
    assert "Durand" not in stored
    assert "adrg_declarant" not in stored


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_a_dissolution_is_seen(tmp_path):
    path = _write(tmp_path / "rna.csv", IMPORT_HEADER, IMPORT_ROWS, "latin-1")
    _import(path)
    again = _import(path)
    assert again["outcomes"]["unchanged"] == 3
    assert again["outcomes"]["new"] == 0
    dissolved = [dict(r) for r in IMPORT_ROWS]
    dissolved[1]["position"] = "D"  # the AMAP is dissolved since
    later = _import(_write(tmp_path / "rna2.csv", IMPORT_HEADER, dissolved, "latin-1"))
    assert later["outcomes"]["unchanged"] == 2
    assert later["outcomes"]["skipped"] == 6
    assert Initiative.objects.count() == 3  # nothing deleted; its record goes missing


@pytest.mark.parametrize(
    ("title", "purpose", "category"),
    [
        ("REPAIR CAFE DE TOURS", "", "repair-cafe"),
        ("LES AMIS", "organiser un repair café mensuel", "repair-cafe"),
        ("AMAP DU CHER", "", "amap"),
        ("S.E.L. DU LOCHOIS", "echanges de savoirs et de services", "sel-banque-temps"),
        ("GRAIN DE SEL", "theatre amateur", None),
        ("LES JARDINS FAMILIAUX DE JOUE", "", "jardin-partage"),
        ("ACCORDERIE DE TOURS", "", "sel-banque-temps"),
        ("LA GONETTE", "promouvoir une monnaie locale complementaire", "monnaie-locale"),
        ("HABITAT GROUPE DES CHENES", "", "habitat-participatif"),
        ("CLUB AUTOPARTAGE", "", "autopartage"),
        ("TOURS FAB LAB", "", "fablab"),
        ("RECYCLERIE DE LOCHES", "", "ressourcerie"),
        ("UNION SPORTIVE", "pratique du football", None),
    ],
)
def test_words_of_the_practices(title, purpose, category):
    found = match(title, purpose)
    assert (found.category if found else None) == category


@pytest.mark.real_data
@pytest.mark.django_db
def test_the_real_indre_et_loire_file(raw_data):
    path = raw_data / "rna-import-37-2022" / "rna_import_20221101_dpt_37.csv"
    frame = pd.read_csv(path, sep=";", dtype=str, encoding="latin-1", keep_default_na=False)
    positions = frame["position"].value_counts()
    summary = _import(path, "rna-37")
    assert summary["rows"] == len(frame) == 6730
    assert sum(summary["outcomes"].values()) == 6730
    items = HarvestItem.objects.all()

    def said(text: str) -> int:
        return sum(1 for item in items if any(text in r for r in item.reasons))

    assert said("position D") == positions["D"] == 1698
    assert said("position R") == positions["R"] == 269
    # Every active association is a candidate, out of the typology, or unplaceable.
    active = positions["A"]
    assert (
        summary["outcomes"]["new"] + said(SKIPPED_HORS) + summary["outcomes"]["rejected"] == active
    )
    assert summary["outcomes"]["new"] >= 5
    candidates = Initiative.objects.all()
    assert candidates.count() == summary["outcomes"]["new"]
    assert not Initiative.objects.public().exists()  # all wait for review
    sel = candidates.get(name="SEL DE LOIRE")
    assert (sel.category_id, sel.commune_id) == ("sel-banque-temps", "com:37031")
    # The allotment associations of Tours are there, under their rule.
    gardens = candidates.filter(category_id="jardin-partage", commune_id="com:37261")
    assert gardens.filter(name__icontains="JARDINS OUVRIERS").exists()
    # Placeholders never reach an initiative: no « T » name, no year 1.
    assert not candidates.filter(name="T").exists()
    assert not candidates.filter(created_on__year=1).exists()
    # Seats outside Indre-et-Loire are placed where they are and said.
    outside = frame[(frame["position"] == "A") & ~frame["adrs_codeinsee"].str.startswith("37")]
    placed_outside = candidates.exclude(commune__departement_id="dep:37")
    assert placed_outside.count() <= len(outside)
    assert all(
        any(
            "siège hors du département" in r
            for r in HarvestItem.objects.get(initiative=initiative, outcome="new").reasons
        )
        for initiative in placed_outside
    )


@pytest.mark.django_db
def test_candidates_go_through_the_duplicate_search(tmp_path):
    """An association already in the inventory (here entered by hand) and its RNA record:
    the duplicate search pairs them, for a person to decide, before anything is counted."""
    from maillage.catalog.services import create_initiative
    from maillage.dedupe.services import run_dedupe

    known = create_initiative(
        name="AMAP des Deux Lions", category="amap", insee_code="37261", status="actif"
    )
    _import(_write(tmp_path / "rna.csv", IMPORT_HEADER, IMPORT_ROWS, "latin-1"))
    candidate = Initiative.objects.get(name="AMAP DES DEUX LIONS")
    result = run_dedupe(dry_run=True)
    pairs = {(row["left"], row["right"]) for row in result.rows}
    assert tuple(sorted((known.pk, candidate.pk))) in pairs
