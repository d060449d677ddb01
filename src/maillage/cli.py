"""The `maillage` console script: every manage.py command, plus `maillage serve`."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    args = list(sys.argv if argv is None else ["maillage", *argv])
    from django.conf import settings

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    from django.core.management import execute_from_command_line

    from maillage.core.errors import MaillageError, as_busy

    try:
        execute_from_command_line(args)
    except MaillageError as exc:  # one a command did not turn into a CommandError itself
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        sys.exit(2)
    except Exception as exc:
        busy = as_busy(exc)
        if busy is None:
            raise
        sys.stderr.write(f"{type(busy).__name__}: {busy}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
