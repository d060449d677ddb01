"""The `maillage` console script: every manage.py command, plus `maillage serve`."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    args = list(sys.argv if argv is None else ["maillage", *argv])
    from django.conf import settings

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
