import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.territories.selectors import (
    TerritoryNotFound,
    children,
    describe,
    parents,
    resolve_territory,
)


class Command(BaseCommand):
    help = (
        "Décrit un territoire : maillage territory com:35238 --json. Identifiants : fr, reg:53, "
        "dep:35, epci:<SIREN>, com:<INSEE> (les anciens codes de communes sont acceptés)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("territory_id", metavar="ID")
        parser.add_argument("--json", action="store_true", help="Sortie JSON (stdout).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            resolved = resolve_territory(options["territory_id"])
        except TerritoryNotFound as exc:
            raise CommandError(str(exc), returncode=2) from exc
        territory = resolved.territory
        data = describe(territory, parents(territory), children(territory).count())
        if resolved.alias is not None:
            data["requested_id"] = options["territory_id"]
            data["resolved_from"] = {
                "code": resolved.alias.code,
                "name": resolved.alias.name,
                "kind": resolved.alias.kind,
                "note": resolved.note,
            }
            self.stderr.write(resolved.note)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(f"{data['name']} ({data['id']}) — {territory.get_level_display()}")
        if data["population"] is not None:
            self.stdout.write(
                f"Population municipale {data['population_year']} : {data['population']}"
            )
        if data["area_km2"] is not None:
            self.stdout.write(f"Superficie : {data['area_km2']} km²")
        for parent in data["parents"]:
            self.stdout.write(f"  ⊂ {parent['name']} ({parent['id']})")
        self.stdout.write(f"Subdivisions : {data['children_count']}")
