"""Reads NetDesk's configuration from environment variables, failing fast.

Every setting has a safe default; a value that cannot be used stops the
process at start with a message naming the variable, the value and what is
accepted, rather than failing later on the first request.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import phonenumbers
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at most {maximum}.")
    return value


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_percent(name: str, default: int, *, ceiling: int = 100, ceiling_name: str = "") -> int:
    """A whole percentage from 1 to `ceiling` (100, or another setting's value)."""
    value = env_int(name, default, minimum=1)
    if value > ceiling:
        limit = f"{ceiling_name} ({ceiling})" if ceiling_name else str(ceiling)
        raise ImproperlyConfigured(f"{name}={value} must be at most {limit}.")
    return value


def phone_country_code() -> str:
    """The country calling code that numbers written with a national trunk 0
    belong to (030… is +49 30… for "49"); empty when the desk has no home
    country. Unset, it is that of NETDESK_PHONE_REGION, else 49."""
    given = os.environ.get("NETDESK_PHONE_COUNTRY_CODE")
    if given is None:
        region = env_str("NETDESK_PHONE_REGION", "DE").upper()
        code = phonenumbers.country_code_for_region(region) if region else 0
        return str(code) if code else ""
    raw = given.strip().lstrip("+")
    if raw and not (raw.isdigit() and len(raw) <= 3 and raw.isascii()):
        raise ImproperlyConfigured(
            f"NETDESK_PHONE_COUNTRY_CODE={raw!r} is not a country calling code; "
            "use 1 to 3 digits such as 49 or 44 (or an empty value for none)."
        )
    return raw


def phone_region(country_code: str) -> str:
    """The region whose national form phone numbers may be written in (DE:
    030 1234567 is stored as +49301234567); empty: only international form.
    Unset, it is the region of the desk's country calling code."""
    given = os.environ.get("NETDESK_PHONE_REGION")
    if given is None:
        region = phonenumbers.region_code_for_country_code(int(country_code or 0))
        return region if region in phonenumbers.SUPPORTED_REGIONS else ""
    region = given.strip().upper()
    if not region:
        return ""
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ImproperlyConfigured(
            f"NETDESK_PHONE_REGION={given!r} is not a region phone numbers are known for; "
            "use a two-letter country code such as DE or GB (or an empty value for none)."
        )
    own_code = str(phonenumbers.country_code_for_region(region))
    if country_code and country_code != own_code:
        raise ImproperlyConfigured(
            f"NETDESK_PHONE_REGION={given!r} dials +{own_code} but "
            f"NETDESK_PHONE_COUNTRY_CODE={country_code!r}; set only one of them."
        )
    return region


def data_dir() -> Path:
    path = Path(os.environ.get("NETDESK_DATA_DIR", "./var")).resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"NETDESK_DATA_DIR={str(path)!r} cannot be created: {exc.strerror}."
        ) from exc
    return path


def secret_key(directory: Path) -> str:
    """Use NETDESK_SECRET_KEY, or a key generated once and kept in the data dir."""
    raw = os.environ.get("NETDESK_SECRET_KEY")
    if raw is not None:
        if len(raw) < 32:
            raise ImproperlyConfigured(
                "NETDESK_SECRET_KEY is too short: use at least 32 random characters "
                "(or leave it unset to have one generated in the data directory)."
            )
        return raw
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    # Written whole to a file of its own, then linked into place: processes
    # started at once on a fresh data dir (serve and its worker, several
    # mail pipes) all end up with the one key that won, never a half-written
    # one. Owner-only permissions: the key signs sessions and CSRF tokens.
    draft = directory / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    try:
        os.link(draft, key_file)
    except FileExistsError:
        pass  # Another process's key is in place; it is the key.
    finally:
        draft.unlink()
    return key_file.read_text().strip()


def database(directory: Path) -> dict[str, Any]:
    raw = os.environ.get("NETDESK_DATABASE_URL", "").strip()
    if not raw:
        raw = f"sqlite:///{directory / 'netdesk.sqlite3'}"
    scheme = raw.split(":", 1)[0].lower()
    if scheme not in {"sqlite", "postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"NETDESK_DATABASE_URL has scheme {scheme!r}; accepted: "
            "sqlite:///path/to/file.sqlite3 or postgresql://user:password@host:port/name."
        )
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(raw, conn_max_age=60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"NETDESK_DATABASE_URL cannot be parsed: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Writers of one process take turns in arrival order before BEGIN
        # IMMEDIATE instead of sleeping in SQLite's busy handler
        # (netdesk.core.sqlite); NETDESK_SQLITE_WRITER_TURNS=0 goes back to
        # Django's own backend.
        if env_bool("NETDESK_SQLITE_WRITER_TURNS", default=True):
            config["ENGINE"] = "netdesk.core.sqlite"
        # Keep each server thread's connection: opening one per request costs
        # the PRAGMAs below and a cold page cache every time.
        config["CONN_MAX_AGE"] = 600
        # WAL lets readers work while one writer commits; IMMEDIATE takes the
        # write lock at BEGIN so concurrent writers queue instead of failing.
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=30000;"
                "PRAGMA cache_size=-65536;PRAGMA mmap_size=268435456;"
                "PRAGMA temp_store=MEMORY;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    else:
        # A process's connections are pooled (Django's pool, psycopg_pool):
        # a request borrows one and gives it back when it ends, whichever
        # thread runs it. Kept per thread instead (CONN_MAX_AGE), only the
        # first threads kept theirs and a request on any other thread
        # started a PostgreSQL backend and closed it again: hundreds a
        # second under load (docs/benchmarks.md, "Ticket create under
        # load"). The pool checks a connection before lending it, so a
        # server restart costs no request.
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = True
        options = dict(config.get("OPTIONS") or {})
        options["pool"] = {
            "min_size": 1,
            "max_size": env_int("NETDESK_DATABASE_POOL_SIZE", 16, minimum=1),
            # A request waits this long for a connection, then is answered
            # 503 with Retry-After like any database refusal.
            "timeout": float(env_int("NETDESK_REQUEST_QUEUE_SECONDS", 30, minimum=1)),
        }
        config["OPTIONS"] = options
    return config


def allowed_hosts() -> list[str]:
    raw = os.environ.get("NETDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
    hosts = [host.strip() for host in raw.split(",") if host.strip()]
    if not hosts:
        raise ImproperlyConfigured(
            "NETDESK_ALLOWED_HOSTS is empty; give a comma-separated list of host names."
        )
    return hosts


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; unset or empty gives the default."""
    raw = os.environ.get(name, "")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    return items or default


RATE_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(text: str) -> tuple[int, int]:
    """'600/minute' → (600, 60): how many requests in how many seconds."""
    count, _, period = text.partition("/")
    seconds = RATE_PERIODS.get(period.strip().lower())
    if not count.strip().isdigit() or int(count) < 1 or seconds is None:
        raise ValueError(text)
    return int(count), seconds


def env_rate(name: str, default: str) -> str:
    raw = env_str(name, default)
    try:
        parse_rate(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate; use a count per "
            f"{'/'.join(RATE_PERIODS)}, e.g. '600/minute'."
        ) from None
    return raw


def csrf_trusted_origins(hosts: list[str]) -> list[str]:
    """NETDESK_CSRF_TRUSTED_ORIGINS, or the plain-HTTP origins of the allowed hosts."""
    origins = env_list("NETDESK_CSRF_TRUSTED_ORIGINS", [])
    for origin in origins:
        if not origin.startswith(("https://", "http://")):
            raise ImproperlyConfigured(
                f"NETDESK_CSRF_TRUSTED_ORIGINS has {origin!r}; each origin starts with "
                "https:// (or http://), e.g. https://desk.example.net."
            )
    return origins or [f"http://{host}:{port}" for host in hosts for port in ("8000", "80")]


def chat_sites() -> list[str]:
    """NETDESK_CHAT_SITES: the origins whose pages may show the chat widget
    (https://www.example.net), or "*" for any site; unset: the desk's own
    pages only."""
    sites = env_list("NETDESK_CHAT_SITES", [])
    if sites == ["*"]:
        return sites
    for site in sites:
        scheme, _, host = site.partition("://")
        if scheme not in ("https", "http") or not host or "/" in host.rstrip("/"):
            raise ImproperlyConfigured(
                f"NETDESK_CHAT_SITES has {site!r}; give origins separated by commas, each "
                "https://host[:port] (or http://), e.g. https://www.example.net, or * alone "
                "for any site."
            )
    return [site.rstrip("/") for site in sites]


def proxy_ssl_header() -> tuple[str, str] | None:
    """NETDESK_PROXY_SSL_HEADER names the header a TLS proxy sets to 'https'."""
    name = env_str("NETDESK_PROXY_SSL_HEADER")
    if not name:
        return None
    if not all(part.isalnum() for part in name.split("-")):
        raise ImproperlyConfigured(
            f"NETDESK_PROXY_SSL_HEADER={name!r} is not a header name; e.g. X-Forwarded-Proto."
        )
    return ("HTTP_" + name.upper().replace("-", "_"), "https")
