"""The WSGI application as `netdesk serve` hands it to its web workers:
Django's, as in netdesk.wsgi (which apps may not import), in a web worker
that stops when its `netdesk serve` process is gone (netdesk.core.parentguard)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from netdesk.core.parentguard import parent_guard_start

__all__ = ["application"]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
application = get_wsgi_application()
parent_guard_start()
