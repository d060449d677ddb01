"""Formulas as data: `data/formulas.json`, read into small typed objects and checked.

A formula applies to categories of the typology (or to a kind of carrier: associations'
volunteering) and says, for each impact dimension, how to get it from inputs and
coefficients. Expressions are JSON, never code to evaluate:

    {"product": [e, …]}           a product of expressions
    {"sum": [e, …]}               a sum of expressions
    {"input": "name"}             an input of the formula
    {"coefficient": "key"}        a coefficient (its low, central and high values);
                                  "inverse": true divides by it
    {"constant": 0.001, "why_fr": "kg → t"}   a pure number, with the reason it is there

An input is an activity metric the initiative reports (`catalog.activity.Metric`); when it is
not reported, its `default` expression (coefficients, earlier inputs) gives an estimate, or
nothing: the figure is then not estimated. An input without metric always takes its default.
"""

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

from django.utils.translation import gettext as _

from maillage.catalog.activity import Metric
from maillage.catalog.vocabularies import Carrier
from maillage.core.errors import MaillageError

from .coefficients import read_coefficients, typology_codes
from .dimensions import DIMENSIONS

FORMULAS_FILE = Path(__file__).resolve().parent / "data" / "formulas.json"


class FormulaFileError(MaillageError):
    """The formulas file contradicts itself, the typology or the coefficients (stable code
    `formulas-invalid`); the message says which formula and why, in French."""

    code = "formulas-invalid"


@dataclass(frozen=True)
class InputRef:
    name: str


@dataclass(frozen=True)
class CoefficientRef:
    key: str
    inverse: bool = False


@dataclass(frozen=True)
class Constant:
    value: float
    why: str


@dataclass(frozen=True)
class Product:
    factors: tuple["Expression", ...]


@dataclass(frozen=True)
class Sum:
    terms: tuple["Expression", ...]


Expression: TypeAlias = InputRef | CoefficientRef | Constant | Product | Sum


@dataclass(frozen=True)
class InputSpec:
    name: str
    label: str
    unit: str
    metric: str | None
    default: Expression | None
    default_label: str


@dataclass(frozen=True)
class DimensionFormula:
    dimension: str
    description: str
    expression: Expression


@dataclass(frozen=True)
class Formula:
    code: str
    label: str
    description: str
    categories: tuple[str, ...]
    carriers: tuple[str, ...]
    inputs: tuple[InputSpec, ...]
    dimensions: tuple[DimensionFormula, ...]

    def input(self, name: str) -> InputSpec:
        return next(spec for spec in self.inputs if spec.name == name)


class FormulaSet:
    """The formulas of a file, found by category or by carrier."""

    def __init__(self, version: str, formulas: tuple[Formula, ...]) -> None:
        self.version = version
        self.formulas = formulas
        self.by_category = {c: f for f in formulas for c in f.categories}
        self.by_carrier = {c: f for f in formulas for c in f.carriers}

    def for_category(self, category: str | None) -> Formula | None:
        return self.by_category.get(category or "")

    def for_carrier(self, carrier: str | None) -> Formula | None:
        return self.by_carrier.get(carrier or "")

    def applying(self, category: str | None, carrier: str | None) -> list[Formula]:
        """The category's formula, then the carrier's (their dimensions never overlap)."""
        return [f for f in (self.for_category(category), self.for_carrier(carrier)) if f]


# --- parsing -----------------------------------------------------------------------------


class _Parser:
    def __init__(self, coefficients: dict[str, tuple[float, float]]) -> None:
        self.coefficients = coefficients  # key → (low, high), to check inverses

    def expression(self, raw: Any, where: str, inputs: set[str]) -> Expression:
        if not isinstance(raw, dict) or len(raw.keys() - {"inverse", "why_fr"}) != 1:
            raise FormulaFileError(
                _("%(where)s : expression attendue (product, sum, input, coefficient ou constant)")
                % {"where": where}
            )
        if "product" in raw or "sum" in raw:
            kind = "product" if "product" in raw else "sum"
            items = raw[kind]
            if not isinstance(items, list) or not items:
                raise FormulaFileError(
                    _("%(where)s : « %(kind)s » attend une liste non vide")
                    % {"where": where, "kind": kind}
                )
            parts = tuple(self.expression(item, where, inputs) for item in items)
            return Product(parts) if kind == "product" else Sum(parts)
        if "input" in raw:
            name = raw["input"]
            if name not in inputs:
                raise FormulaFileError(
                    _("%(where)s : entrée « %(name)s » inconnue ou déclarée plus bas")
                    % {"where": where, "name": name}
                )
            return InputRef(name)
        if "coefficient" in raw:
            key = raw["coefficient"]
            if key not in self.coefficients:
                raise FormulaFileError(
                    _("%(where)s : coefficient « %(key)s » absent du fichier des coefficients")
                    % {"where": where, "key": key}
                )
            inverse = raw.get("inverse", False)
            if not isinstance(inverse, bool):
                raise FormulaFileError(
                    _("%(where)s : « inverse » vaut true ou false") % {"where": where}
                )
            low, high = self.coefficients[key]
            if inverse and low <= 0 <= high:
                raise FormulaFileError(
                    _("%(where)s : on ne divise pas par « %(key)s », sa fourchette contient zéro")
                    % {"where": where, "key": key}
                )
            return CoefficientRef(key, inverse)
        if "constant" in raw:
            value = raw["constant"]
            why = str(raw.get("why_fr") or "").strip()
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise FormulaFileError(_("%(where)s : constante non numérique") % {"where": where})
            if not why:
                raise FormulaFileError(
                    _("%(where)s : une constante dit pourquoi elle est là (why_fr)")
                    % {"where": where}
                )
            return Constant(float(value), why)
        raise FormulaFileError(_("%(where)s : expression inconnue") % {"where": where})

    def formula(self, raw: Any, position: int) -> Formula:
        if not isinstance(raw, dict):
            raise FormulaFileError(_("formule n° %(n)s : objet JSON attendu") % {"n": position})
        code = str(raw.get("code") or "").strip()
        where = _("formule « %(code)s »") % {"code": code or position}
        if not code or not str(raw.get("label_fr") or "").strip():
            raise FormulaFileError(
                _("%(where)s : « code » et « label_fr » sont requis") % {"where": where}
            )
        applies = raw.get("applies_to") or {}
        categories = tuple(applies.get("categories") or ())
        carriers = tuple(applies.get("carriers") or ())
        if bool(categories) == bool(carriers):
            raise FormulaFileError(
                _("%(where)s : applies_to donne des catégories ou des porteurs (l'un des deux)")
                % {"where": where}
            )
        unknown = sorted(set(categories) - typology_codes())
        if unknown:
            raise FormulaFileError(
                _("%(where)s : catégories absentes de la typologie : %(codes)s")
                % {"where": where, "codes": ", ".join(unknown)}
            )
        unknown = sorted(set(carriers) - set(Carrier.values))
        if unknown:
            raise FormulaFileError(
                _("%(where)s : porteurs inconnus : %(codes)s")
                % {"where": where, "codes": ", ".join(unknown)}
            )
        inputs: list[InputSpec] = []
        for spec in raw.get("inputs") or []:
            inputs.append(self.input(spec, where, {i.name for i in inputs}))
        names = {i.name for i in inputs}
        dimensions: list[DimensionFormula] = []
        for dimension, body in (raw.get("dimensions") or {}).items():
            if dimension not in DIMENSIONS:
                raise FormulaFileError(
                    _("%(where)s : dimension « %(name)s » inconnue")
                    % {"where": where, "name": dimension}
                )
            place = f"{where}, {dimension}"
            if not isinstance(body, dict) or not str(body.get("description_fr") or "").strip():
                raise FormulaFileError(
                    _("%(where)s : chaque dimension se décrit en mots (description_fr)")
                    % {"where": place}
                )
            dimensions.append(
                DimensionFormula(
                    dimension,
                    str(body["description_fr"]).strip(),
                    self.expression(body.get("expression"), place, names),
                )
            )
        if not dimensions:
            raise FormulaFileError(_("%(where)s : aucune dimension") % {"where": where})
        return Formula(
            code=code,
            label=str(raw["label_fr"]).strip(),
            description=str(raw.get("description_fr") or "").strip(),
            categories=categories,
            carriers=carriers,
            inputs=tuple(inputs),
            dimensions=tuple(dimensions),
        )

    def input(self, raw: Any, where: str, earlier: set[str]) -> InputSpec:
        if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
            raise FormulaFileError(_("%(where)s : une entrée a un nom (name)") % {"where": where})
        name = str(raw["name"]).strip()
        place = f"{where}, {name}"
        if name in earlier:
            raise FormulaFileError(_("%(where)s : entrée en double") % {"where": place})
        metric = raw.get("metric")
        if metric is not None and metric not in Metric.values:
            raise FormulaFileError(
                _("%(where)s : mesure « %(metric)s » inconnue du rapport d'activité")
                % {"where": place, "metric": metric}
            )
        default = None
        if raw.get("default") is not None:
            default = self.expression(raw["default"], place, earlier)
        if metric is None and default is None:
            raise FormulaFileError(
                _("%(where)s : une entrée sans mesure a une valeur par défaut") % {"where": place}
            )
        return InputSpec(
            name=name,
            label=str(raw.get("label_fr") or name),
            unit=str(raw.get("unit") or ""),
            metric=metric,
            default=default,
            default_label=str(raw.get("default_fr") or ""),
        )


def parse_formulas(data: Any, coefficients: dict[str, tuple[float, float]]) -> FormulaSet:
    """Check a parsed formulas document against the typology and the coefficients."""
    if not isinstance(data, dict) or not isinstance(data.get("formulas"), list):
        raise FormulaFileError(
            _('Fichier des formules : {"version": …, "formulas": [...]} attendu')
        )
    parser = _Parser(coefficients)
    formulas = [parser.formula(raw, n) for n, raw in enumerate(data["formulas"], start=1)]
    seen: dict[str, str] = {}
    for formula in formulas:
        for target in [
            f"code:{formula.code}",
            *formula.categories,
            *(f"carrier:{c}" for c in formula.carriers),
        ]:
            if target in seen:
                raise FormulaFileError(
                    _("« %(target)s » a deux formules : %(a)s et %(b)s")
                    % {"target": target, "a": seen[target], "b": formula.code}
                )
            seen[target] = formula.code
    # An initiative takes its category's formula and its carrier's: they must not both give
    # the same dimension, or it would be counted twice.
    by_category = {d.dimension for f in formulas if f.categories for d in f.dimensions}
    for formula in formulas:
        if formula.carriers:
            twice = sorted(by_category & {d.dimension for d in formula.dimensions})
            if twice:
                raise FormulaFileError(
                    _(
                        "formule « %(code)s » : dimensions déjà données par une catégorie : %(names)s"
                    )
                    % {"code": formula.code, "names": ", ".join(twice)}
                )
    return FormulaSet(str(data.get("version") or ""), tuple(formulas))


def read_formulas(path: Path | None = None, coefficients_path: Path | None = None) -> FormulaSet:
    path = path or FORMULAS_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise FormulaFileError(
            _("Fichier des formules illisible : %(file)s (%(error)s)")
            % {"file": path.name, "error": exc}
        ) from exc
    ranges = {
        c["key"]: (c["low"], c["high"])
        for c in read_coefficients(coefficients_path)["coefficients"]
    }
    return parse_formulas(data, ranges)


@cache
def project_formulas() -> FormulaSet:
    """The project's formulas, read once per process."""
    return read_formulas()
