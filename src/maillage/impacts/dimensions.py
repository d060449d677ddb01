"""The kinds of impact, each shown on its own: they are never added into one score."""

from typing import NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Dimension(NamedTuple):
    code: str
    label: str | Promise
    unit: str | Promise


DIMENSIONS: dict[str, Dimension] = {
    d.code: d
    for d in (
        Dimension("co2e_avoided_t", _("émissions évitées"), _("tCO₂e par an")),
        Dimension("waste_avoided_t", _("déchets évités"), _("t par an")),
        Dimension("jobs_fte", _("emplois"), _("ETP")),
        Dimension("volunteer_fte", _("bénévolat"), _("ETP")),
        Dimension("participants", _("participants ou usagers"), _("personnes")),
        Dimension(
            "household_money_eur", _("argent économisé ou gagné par les ménages"), _("€ par an")
        ),
        Dimension("local_benefit_eur", _("retombées économiques locales"), _("€ par an")),
        Dimension("cars_avoided", _("voitures particulières évitées"), _("voitures")),
    )
}

NO_BASIS = _("impact non estimé : pas de référence sourcée")
