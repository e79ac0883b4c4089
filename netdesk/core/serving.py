"""The WSGI application as `netdesk serve` hands it to its web workers:
Django's, as in netdesk.wsgi (which apps may not import), in a web worker
that stops when its `netdesk serve` process is gone (netdesk.core.parentguard)."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from netdesk.core.allocator import arenas_limit
from netdesk.core.parentguard import parent_guard_start

__all__ = ["application"]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
application = get_wsgi_application()
# A web process runs several requests on threads sharing one interpreter
# lock; a shorter switch interval lets a quick read run beside a long write
# instead of waiting out its slices (NETDESK_WEB_SWITCH_INTERVAL_MS).
sys.setswitchinterval(settings.NETDESK_WEB_SWITCH_INTERVAL_MS / 1000)
arenas_limit(settings.NETDESK_WEB_MALLOC_ARENAS)
parent_guard_start()
