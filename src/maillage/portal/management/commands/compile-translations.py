from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Compile les fichiers de traduction .po de Maillage en .mo (sans dépendre de GNU "
        "gettext sur la machine)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for po_path in sorted(Path(settings.PACKAGE_DIR).glob("**/locale/*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            compiled += 1
        self.stderr.write(f"{compiled} catalogue(s) de traduction compilé(s).")
