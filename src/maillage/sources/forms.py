"""The "new import" form of the staff pages."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.catalog.models import Category

from .backends import REGISTRY
from .errors import SourceFileError
from .mappings import MAX_BYTES, MappingError, check_backend_mapping, load_mapping
from .models import Source
from .presenters import backend_label
from .services import NewImport, max_upload_bytes

MAX_MAPPING_BYTES = MAX_BYTES


def backend_choices() -> list[tuple[str, str]]:
    return [(name, backend_label(name)) for name in REGISTRY]


def category_choices() -> list[tuple[str, Any]]:
    """Current categories grouped by family, labels in the active language."""
    groups: dict[str, list[tuple[str, str]]] = {}
    categories = Category.objects.filter(retired=False).select_related("family")
    for category in categories.order_by("family__position", "position", "code"):
        groups.setdefault(category.family.label, []).append((category.code, category.label))
    return [("", _("— aucune : la catégorie vient de chaque ligne —")), *groups.items()]


def parse_mapping(text: str | bytes, name: str = "") -> dict[str, Any]:
    """A pasted or uploaded mapping, through the command line's loader (same bounds: see
    sources.mappings); a form error in French otherwise."""
    try:
        return load_mapping(text=text, name=name or _("La correspondance"))
    except MappingError as exc:
        raise forms.ValidationError(str(exc), code="mapping-invalid") from exc


def _too_large(size: int, at_least: bool = False) -> str:
    shown = filesizeformat(size)
    if at_least:  # refused mid-way: only what arrived is known
        shown = _("au moins %(size)s") % {"size": shown}
    return _(
        "Le fichier fait %(size)s : c'est plus que la taille maximale acceptée (%(limit)s). "
        "Découpez-le ou importez-le avec la commande « maillage import »."
    ) % {"size": shown, "limit": filesizeformat(max_upload_bytes())}


class NewImportForm(forms.Form):
    backend = forms.ChoiceField(
        label=gettext_lazy("Format du fichier"),
        error_messages={"required": gettext_lazy("Choisissez le format du fichier.")},
    )
    source = forms.SlugField(
        label=gettext_lazy("Nom court de la source"),
        max_length=100,
        help_text=gettext_lazy(
            "Une source existante (un nouvel import la met à jour sans doublon) ou un nouveau "
            "nom : lettres minuscules, chiffres et tirets, par exemple « bnlc »."
        ),
        error_messages={
            "required": gettext_lazy("Donnez le nom court de la source."),
            "invalid": gettext_lazy(
                "Le nom court ne peut contenir que des lettres sans accents, des chiffres, des "
                "tirets et des soulignés."
            ),
        },
    )
    label = forms.CharField(
        label=gettext_lazy("Intitulé de la source"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Facultatif ; vide, l'intitulé actuel est gardé."),
    )
    licence = forms.CharField(
        label=gettext_lazy("Licence des données"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Par exemple « ODbL 1.0 » ou « Licence Ouverte 2.0 » (« inconnue » si la source "
            "n'en donne pas) ; obligatoire pour une source qui n'en a pas encore, sinon vide "
            "garde la licence actuelle."
        ),
    )
    attribution = forms.CharField(
        label=gettext_lazy("Attribution"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Ce que toute réutilisation doit citer ; affichée sur /sources/."),
    )
    moderation = forms.ChoiceField(
        label=gettext_lazy("Modération"),
        required=False,
        choices=[
            (
                "",
                gettext_lazy(
                    "— inchangée (nouvelle source : publiée directement, à relire pour le "
                    "format rna) —"
                ),
            ),
            *Source.Moderation.choices,
        ],
        help_text=gettext_lazy(
            "« À relire avant publication » : les nouvelles initiatives de la source restent "
            "hors des pages publiques et des chiffres jusqu'à ce que l'équipe les publie "
            "(administration, action « Publier »)."
        ),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Catégorie de toutes les lignes"),
        required=False,
        help_text=gettext_lazy(
            "Seulement pour un fichier mono-pratique (par exemple une liste de repair cafés)."
        ),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Catégorie inconnue : « %(value)s ». Choisissez une catégorie de la typologie."
            )
        },
    )
    mapping_text = forms.CharField(
        label=gettext_lazy("Correspondance des colonnes (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "Facultative. Vide, la correspondance est proposée à partir des noms de colonnes "
            "et affichée dans le rapport de l'essai, prête à être corrigée et réutilisée."
        ),
    )
    mapping_file = forms.FileField(
        label=gettext_lazy("ou fichier de correspondance (JSON)"),
        required=False,
    )
    file = forms.FileField(
        label=gettext_lazy("Fichier à importer"),
        error_messages={
            "required": gettext_lazy("Choisissez le fichier à importer."),
            "empty": gettext_lazy("Le fichier déposé est vide."),
        },
    )

    def __init__(self, *args: Any, refused_size: int | None = None, **kwargs: Any) -> None:
        """`refused_size`: the file was refused while it arrived (see uploads.py)."""
        super().__init__(*args, **kwargs)
        if refused_size is not None:  # the file never reached the form
            self.fields["file"].error_messages["required"] = _too_large(refused_size, at_least=True)
        backend_field = self.fields["backend"]
        category_field = self.fields["category"]
        assert isinstance(backend_field, forms.ChoiceField)
        assert isinstance(category_field, forms.ChoiceField)
        backend_field.choices = [("", _("— choisir —")), *backend_choices()]
        category_field.choices = category_choices()
        self.fields["file"].help_text = _(
            "Taille maximale : %(size)s. Le fichier est gardé pour la confirmation de l'import."
        ) % {"size": filesizeformat(max_upload_bytes())}
        self.fields["source"].widget.attrs["list"] = "sources-existantes"
        self.fields["source"].widget.attrs["autocomplete"] = "off"

    def full_clean(self) -> None:
        """Point each invalid control to its error message (and its help text)."""
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                ids = [f"{self[name].auto_id}_erreur"]
                if self.fields[name].help_text:
                    ids.insert(0, f"{self[name].auto_id}_helptext")
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)

    def clean_source(self) -> str:
        return str(self.cleaned_data["source"]).lower()

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(_too_large(upload.size), code="file-too-large")
        return upload

    def clean_mapping_file(self) -> dict[str, Any] | None:
        upload: UploadedFile | None = self.cleaned_data.get("mapping_file")
        if not upload:
            return None
        if upload.size is not None and upload.size > MAX_MAPPING_BYTES:
            raise forms.ValidationError(
                _("Le fichier de correspondance dépasse 1 Mo."), code="mapping-invalid"
            )
        return parse_mapping(upload.read(MAX_MAPPING_BYTES + 1), upload.name or "")

    def clean_mapping_text(self) -> dict[str, Any] | None:
        text = self.cleaned_data.get("mapping_text", "").strip()
        return parse_mapping(text) if text else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("mapping_text") is not None and cleaned.get("mapping_file") is not None:
            self.add_error(
                "mapping_file",
                _(
                    "Donnez la correspondance soit dans la zone de texte, soit dans un fichier, "
                    "pas les deux."
                ),
            )
        name, backend = cleaned.get("source"), cleaned.get("backend")
        mapping = cleaned.get("mapping_file") or cleaned.get("mapping_text")
        if mapping and backend:
            try:
                check_backend_mapping(backend, mapping)
            except SourceFileError as exc:
                field = "mapping_file" if cleaned.get("mapping_file") else "mapping_text"
                self.add_error(field, str(exc))
        stored_licence = Source.objects.filter(name=name).values_list("licence", flat=True).first()
        if name and not cleaned.get("licence", "").strip() and not stored_licence:
            self.add_error(
                "licence",
                _(
                    "Indiquez la licence des données : elle accompagne chaque chiffre tiré de "
                    "cette source (« inconnue » si la source n'en donne pas)."
                ),
            )
        if name and backend:
            existing = Source.objects.filter(name=name).values_list("backend", flat=True).first()
            if existing and existing != backend:
                self.add_error(
                    "source",
                    _(
                        "La source « %(source)s » est au format « %(backend)s » : choisissez ce "
                        "format ou un autre nom court."
                    )
                    % {"source": name, "backend": backend_label(existing)},
                )
        return cleaned

    def to_request(self) -> NewImport:
        data = self.cleaned_data
        mapping = data.get("mapping_file")
        if mapping is None:
            mapping = data.get("mapping_text")
        return NewImport(
            backend=data["backend"],
            source=data["source"],
            label=data.get("label", ""),
            licence=data.get("licence", ""),
            attribution=data.get("attribution", ""),
            category=data.get("category", ""),
            mapping=mapping,
            moderation=data.get("moderation", ""),
        )
