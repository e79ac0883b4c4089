"""A logging filter that keeps secrets carried in URL paths out of the logs:
the CTI endpoint's token (/api/v1/cti/<token>) and a portal sign-in link
(/portal/sign-in/link/<secret>/). Django logs the path of every refused
request ("Not Found: /api/v1/cti/…"); the path is the secret there."""

from __future__ import annotations

import logging
import re

SECRET_PATHS = re.compile(r"(/api/v1/cti/|/portal/sign-in/link/)[^/?\s\"']+")
REDACTED = r"\1[secret]"


def redacted(text: str) -> str:
    return SECRET_PATHS.sub(REDACTED, text)


class SecretPathFilter(logging.Filter):
    """Rewrites the message and its string arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redacted(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redacted(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True
