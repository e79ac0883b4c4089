"""The `netdesk` command: Django's management commands under NetDesk's name
(`netdesk migrate`, `netdesk serve`, `netdesk worker`, `netdesk demo`, ...)."""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> None:
    # Django reads the settings module's name when settings are first used,
    # not when these modules are imported.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    args = ["netdesk", *(sys.argv[1:] if argv is None else argv)]
    try:
        execute_from_command_line(args)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"netdesk: configuration error: {exc}\n")
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
