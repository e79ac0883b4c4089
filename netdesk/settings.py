"""Django settings for NetDesk, driven only by environment variables (see config.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from netdesk import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = config.env_bool("NETDESK_DEBUG", False)
ALLOWED_HOSTS = config.allowed_hosts()
CSRF_TRUSTED_ORIGINS = config.csrf_trusted_origins(ALLOWED_HOSTS)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The API docs' Swagger UI from the package's own static files, not a CDN.
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "netdesk.core",
    "netdesk.accounts",
    "netdesk.network",
    "netdesk.customers",
    "netdesk.tickets",
    "netdesk.sla",
    "netdesk.triage",
    "netdesk.surveys",
    "netdesk.noc",
    "netdesk.notifications",
    "netdesk.integrations",
    "netdesk.competency",
    "netdesk.assessments",
    "netdesk.routing",
    "netdesk.channels",
    "netdesk.chat",
    "netdesk.phone",
    "netdesk.knowledge",
    "netdesk.portal",
    "netdesk.reports",
    "netdesk.demo",
]

MIDDLEWARE = [
    # A request waits for one of the process's slots before it may open a
    # connection (bounds connections per web process under a backlog).
    "netdesk.core.connections.RequestSlotsMiddleware",
    "netdesk.core.connections.KeptConnectionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Memos (topology, impact, SLA policies) check their data versions once per request.
    "netdesk.core.middleware.DataVersionsMiddleware",
    # Text the database cannot store (NUL) in a path, query or form: 400.
    "netdesk.core.middleware.UnstorableTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "netdesk.core.middleware.UserTimezoneMiddleware",
    "netdesk.core.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "netdesk.urls"
WSGI_APPLICATION = "netdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "netdesk.accounts.context.user_actions",
            ],
        },
    }
]

DATABASES = {"default": config.database(DATA_DIR)}
# SQLite: a transaction that holds the database's one writer turn longer
# than this is logged (netdesk.core.sqlite) with its first write: every
# other writer of every process waited that long. 0: never.
NETDESK_SQLITE_SLOW_TURN_MS = config.env_int("NETDESK_SQLITE_SLOW_TURN_MS", 1000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "queue"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed sign-ins are counted per account and per client address in the
# database (django-axes), so every web process sees the same counts.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = config.env_int("NETDESK_LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(
    minutes=config.env_int("NETDESK_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
)
AXES_CLIENT_IP_CALLABLE = "netdesk.accounts.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "netdesk.accounts.throttling.sign_in_locked_out"
# A successful sign-in must not clear an address's count: an attacker with
# one account would reset it between guesses at others.
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
# How many proxies in front of the desk append to X-Forwarded-For (0: none;
# then the connection's address is the client's).
NETDESK_PROXY_COUNT = config.env_int("NETDESK_PROXY_COUNT", 0)

# API requests per user (all their tokens and their session together).
NETDESK_API_RATE = config.env_rate("NETDESK_API_RATE", "1200/minute")
# Call events per CTI endpoint (a PBX's bursts: 100 calls/s are 300 events/s),
# and requests with a token that opens no endpoint, per client address.
NETDESK_CTI_RATE = config.env_rate("NETDESK_CTI_RATE", "60000/minute")
NETDESK_CTI_UNKNOWN_RATE = config.env_rate("NETDESK_CTI_UNKNOWN_RATE", "60/minute")
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Attachments: what an agent may upload to a ticket.
NETDESK_ATTACHMENT_MAX_BYTES = config.env_int(
    "NETDESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024
)
NETDESK_ATTACHMENT_TYPES = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/plain",
    "text/csv",
    "application/zip",
    "message/rfc822",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = NETDESK_ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Outgoing mail (escalation notices). Without a host, notices are kept and
# shown as not sent.
# The public status page's title (e.g. "Example Net status").
NETDESK_STATUS_PAGE_NAME = config.env_str("NETDESK_STATUS_PAGE_NAME", "Network status")
# Its areas' states follow the share of their customers an outage cuts off
# (docs/status-page.md): a major outage from the first share, a partial one
# from the second, degraded performance below.
NETDESK_STATUS_MAJOR_OUTAGE_PERCENT = config.env_percent("NETDESK_STATUS_MAJOR_OUTAGE_PERCENT", 50)
NETDESK_STATUS_PARTIAL_OUTAGE_PERCENT = config.env_percent(
    "NETDESK_STATUS_PARTIAL_OUTAGE_PERCENT",
    10,
    ceiling=NETDESK_STATUS_MAJOR_OUTAGE_PERCENT,
    ceiling_name="NETDESK_STATUS_MAJOR_OUTAGE_PERCENT",
)
# Callers' numbers typed with a trunk 0 (030 …) are matched as +<code> 30 ….
NETDESK_PHONE_COUNTRY_CODE = config.phone_country_code()
# Numbers written in this region's national form (030 …) are stored in E.164.
NETDESK_PHONE_REGION = config.phone_region(NETDESK_PHONE_COUNTRY_CODE)
# Which generic-alarm fields identify "the same alarm" (label names may be added).
NETDESK_ALARM_FINGERPRINT = config.env_str("NETDESK_ALARM_FINGERPRINT", "element,name").split(",")

EMAIL_HOST = config.env_str("NETDESK_EMAIL_HOST", "")
EMAIL_PORT = config.env_int("NETDESK_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = config.env_str("NETDESK_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = config.env_str("NETDESK_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = config.env_bool("NETDESK_EMAIL_STARTTLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = config.env_str("NETDESK_EMAIL_FROM", "netdesk@localhost")
# The right-hand side of the Message-IDs the desk makes (they encode the ticket).
NETDESK_MAIL_DOMAIN = config.env_str(
    "NETDESK_MAIL_DOMAIN", DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
)
# A customer's mail to a resolved ticket reopens it for this many days after
# it was resolved; later (or once closed) it opens a new ticket linked to it.
NETDESK_MAIL_REOPEN_DAYS = config.env_int("NETDESK_MAIL_REOPEN_DAYS", 14)
# The at-risk view: open tickets due within this many minutes (or breached).
NETDESK_AT_RISK_MINUTES = config.env_int("NETDESK_AT_RISK_MINUTES", 60, minimum=1)
# A resolution "held" when the customer did not come back about the same
# service (and the ticket was not reopened) within this many days.
NETDESK_HELD_RESOLUTION_DAYS = config.env_int("NETDESK_HELD_RESOLUTION_DAYS", 7, minimum=1)
# New tickets one sender may open by mail; beyond it their mail is
# quarantined (a mail loop must not open a thousand tickets).
NETDESK_MAIL_SENDER_RATE = config.env_rate("NETDESK_MAIL_SENDER_RATE", "20/hour")
# An incident notice to more customers than this needs an explicit confirmation.
NETDESK_NOTICE_CAP = config.env_int("NETDESK_NOTICE_CAP", 500, minimum=1)
# Incident notices and all-clears leave at most this fast (their send times are
# spread out as they are queued), so a big outage does not flood the mail relay.
NETDESK_NOTICE_RATE = config.env_rate("NETDESK_NOTICE_RATE", "600/minute")

# Reactions of one app to another's writes, called explicitly (netdesk/core/hooks.py).
NETDESK_HOOKS = {
    # A change that may move a ticket's clocks (status, queue, priority,
    # service, an answer to the customer) recomputes its SLA and OLA timers.
    # A reopened ticket is no longer offered as a solved case.
    "ticket_changed": [
        "netdesk.sla.services.ticket_changed",
        "netdesk.knowledge.reactions.ticket_changed",
    ],
    # A ticket opened without a call: its service-level summary is written
    # in its own INSERT and its timers in one INSERT after it.
    "ticket_opening": ["netdesk.sla.opening.ticket_opening"],
    # Triage reads a new ticket's words before its transaction, and writes
    # its suggestion first thing once the ticket exists: the NOC counts
    # network faults by it, routing sees the group it applied.
    "ticket_preparing": ["netdesk.triage.services.ticket_preparing"],
    # The ticket page shows the ticket's service levels.
    # ... and its knowledge panel: linked articles, search to link the one
    # that solved it, a draft article from the ticket.
    "ticket_page_panels": [
        "netdesk.sla.panels.ticket_page_panel",
        "netdesk.knowledge.panels.ticket_page_panel",
        "netdesk.triage.panels.ticket_page_panel",
        # ... and its satisfaction survey: state, why not sent, the answer.
        "netdesk.surveys.panels.ticket_page_panel",
    ],
    # The ticket page shows the ticket's mail and the reply composer.
    "ticket_page_sections": ["netdesk.channels.panels.ticket_page_section"],
    # A fault or complaint from a customer on a failed path joins the incident.
    # Then a new ticket in a group that routes by skill goes to an agent.
    "ticket_created": [
        "netdesk.noc.services.new_tickets.ticket_created",
        "netdesk.routing.services.tickets.route_new_ticket",
    ],
    # A ticket escalated into a group that routes by skill goes to an agent
    # with its skills one level up.
    "ticket_escalated": ["netdesk.routing.services.tickets.route_escalated_ticket"],
    # A resolved ticket's unanswered troubleshooting requests to the NOC close;
    # a customer who wrote in by mail is told it is resolved.
    "ticket_resolved": [
        "netdesk.noc.services.liaison.ticket_resolved",
        "netdesk.channels.reactions.ticket_resolved",
        # ... it is offered to agents as a solved case, and the articles that
        # solved it count a first-contact resolution when it was one.
        "netdesk.knowledge.reactions.ticket_resolved",
        # ... and its customer's satisfaction survey is scheduled (or the
        # reason it is not recorded: sampling, the cap, a network incident).
        "netdesk.surveys.services.ticket_resolved",
    ],
    # A public reply is mailed to the customer.
    "ticket_reply_added": ["netdesk.channels.reactions.ticket_reply_added"],
    # In-app notifications (the bell): a ticket assigned to an agent by
    # someone else, a customer's answer on their ticket, a service-level
    # warning or breach on it, a low survey rating for its team lead.
    "ticket_assigned": ["netdesk.notifications.reactions.ticket_assigned"],
    "ticket_customer_replied": ["netdesk.notifications.reactions.ticket_customer_replied"],
    "sla_warning_fired": ["netdesk.notifications.reactions.sla_warning_fired"],
    "sla_breach_fired": ["netdesk.notifications.reactions.sla_breach_fired"],
    "survey_follow_up_opened": ["netdesk.notifications.reactions.survey_follow_up_opened"],
    # A page listens live to the queue's changes and to a ticket's changes
    # and presence, as far as the reader may see them.
    "live_streams": ["netdesk.notifications.live.live_streams"],
    # A service-level escalation notice is mailed at its delivery time.
    "escalation_notice_created": ["netdesk.channels.reactions.escalation_notice_created"],
    # A new framework version takes its skills' exam question bank along.
    "framework_version_created": ["netdesk.assessments.services.exams.exam_questions_copy"],
    # An agent's competency page lists the exams waiting for them.
    "agent_page": ["netdesk.assessments.selectors.agent_page_exams"],
    # KPI evidence may leave out tickets routed to an agent outside their level.
    "tickets_outside_level": ["netdesk.routing.selectors.tickets_outside_level"],
    # A resolved incident's notified customers are sent the all-clear.
    "incident_resolved": ["netdesk.channels.reactions.incident_resolved"],
    # The incident page shows its notices to customers and the notify action.
    # ... and how many subscribers the portal's outage notice kept from a ticket.
    "incident_page_panels": [
        "netdesk.channels.views_notices.incident_page_panel",
        "netdesk.portal.panels.incident_page_panel",
        # ... and the articles drafted from it, with "Draft an article".
        "netdesk.knowledge.panels.incident_page_panel",
    ],
    # The queue's bulk change may link the ticked tickets to a network incident.
    "ticket_bulk_actions": ["netdesk.noc.services.bulk_link.bulk_actions"],
}
# Called by every `netdesk worker` as it starts (recurring background work).
NETDESK_WORKER_STARTUP = [
    "netdesk.sla.tasks.ensure_sla_tick",
    "netdesk.noc.tasks.ensure_relearn",
    "netdesk.noc.root_cause_tasks.ensure_root_cause_relearn",
    "netdesk.noc.tasks.ensure_quiet_tick",
    "netdesk.routing.tasks.ensure_routing_tick",
    "netdesk.channels.tasks.ensure_mail_tick",
    "netdesk.chat.tasks.ensure_chat_tick",
    # Documents left without embeddings (a bulk import, a new model) get them.
    "netdesk.knowledge.tasks.embeddings_queue",
    # Triage trains again on the resolved tickets every retrain_hours.
    "netdesk.triage.tasks.ensure_triage_retrain",
    # Subscribed reports are mailed when due (docs/scheduled-reports.md).
    "netdesk.reports.tasks.ensure_report_tick",
    # The dashboards' daily figures and the service plans' reports.
    "netdesk.reports.rollup_tasks.ensure_rollup_tick",
    # Read notifications older than NETDESK_NOTIFICATIONS_KEPT_DAYS go.
    "netdesk.notifications.tasks.ensure_notifications_tick",
]
# Read notifications are kept this many days (unread ones until read).
NETDESK_NOTIFICATIONS_KEPT_DAYS = config.env_int("NETDESK_NOTIFICATIONS_KEPT_DAYS", 90, minimum=1)
# Dashboards: the daily figures of the last this many days are recomputed
# every NETDESK_ROLLUP_MINUTES (docs/dashboards.md).
NETDESK_ROLLUP_DAYS = config.env_int("NETDESK_ROLLUP_DAYS", 10, minimum=1)
NETDESK_ROLLUP_MINUTES = config.env_int("NETDESK_ROLLUP_MINUTES", 5, minimum=1)

# Resolved tickets close by themselves after this many days without reply (0: never).
# Long polls (chat, screen pop) each hold a web thread while they wait:
# each web process keeps this many threads for them beside its request threads.
NETDESK_LIVE_WAITERS = config.env_int("NETDESK_LIVE_WAITERS", 256, minimum=1)
# Web worker processes of `netdesk serve` (0: two per CPU core, at most 16).
# Their threads share one interpreter lock: one holding the database (SQLite's
# writer turn, a row lock) waits for it again after every statement, behind
# the others. Two processes of 4 threads per core rather than one of 8 cut the
# reads' tail under load (docs/benchmarks.md, "Fewer threads per process").
NETDESK_WEB_WORKERS = config.env_int("NETDESK_WEB_WORKERS", 0)
# Requests a web process works on at once (`netdesk serve --threads`); the
# rest wait for a slot, without a database connection, up to
# NETDESK_REQUEST_QUEUE_SECONDS and are then answered 503 (core.connections).
# On PostgreSQL each process borrows its connections from a pool of
# NETDESK_DATABASE_POOL_SIZE: size max_connections for web processes x that
# (docs/scale-out.md).
NETDESK_WEB_THREADS = config.env_int("NETDESK_WEB_THREADS", 4, minimum=1)
NETDESK_REQUEST_QUEUE_SECONDS = config.env_int("NETDESK_REQUEST_QUEUE_SECONDS", 30, minimum=1)
# Of those slots, at most this many work on writes at once (0: any number);
# waiting reads are let in before waiting writes (core.connections).
NETDESK_WEB_WRITE_THREADS = config.env_int("NETDESK_WEB_WRITE_THREADS", 0)
# How long (ms) a waiting write may be passed over by reads arriving after
# it; then it goes in its turn. Short: an agent's save is delayed at most
# this much by a burst of reads (core.connections).
NETDESK_WEB_WRITE_PATIENCE_MS = config.env_int("NETDESK_WEB_WRITE_PATIENCE_MS", 1000)
# How often (ms) a web process's interpreter lets another of its threads
# run (sys.setswitchinterval; Python's own is 5): shorter lets a quick read
# through beside a long write in the same process (core.serving).
NETDESK_WEB_SWITCH_INTERVAL_MS = config.env_int("NETDESK_WEB_SWITCH_INTERVAL_MS", 5, minimum=1)
# The malloc arenas a web process may use (core.allocator; 0: glibc's
# default of eight per core), and how long (s, 5-600) an idle request
# thread is kept before granian retires it: threads started and retired
# with the load leave their memory spread over arenas.
NETDESK_WEB_MALLOC_ARENAS = config.env_int("NETDESK_WEB_MALLOC_ARENAS", 2, minimum=0)
NETDESK_WEB_THREAD_IDLE_SECONDS = config.env_int(
    "NETDESK_WEB_THREAD_IDLE_SECONDS", 600, minimum=5, maximum=600
)
# The background worker's CPU priority (nice, 0-19): above 0 it takes the
# CPU only when the web processes leave it, so agents' requests go first
# and background work (notices, ticks) waits on a busy machine.
NETDESK_WORKER_NICE = config.env_int("NETDESK_WORKER_NICE", 10)
# Far below a user's API allowance a web process writes its calls to the
# count in the database every this many calls (or each second), not on
# every call (netdesk.core.ratelimit.RateTally); 0 or 1: every call.
NETDESK_API_RATE_HELD = config.env_int("NETDESK_API_RATE_HELD", 20)
# SQLite: the connections a web process keeps and lends to its requests
# with their slots (netdesk.core.lending); a thread past them that opened
# one of its own closes it when its request ends (netdesk.core.connections).
NETDESK_DATABASE_CONNECTIONS_KEPT = config.env_int(
    "NETDESK_DATABASE_CONNECTIONS_KEPT", 8, minimum=0
)

# Web chat (docs/chat.md). Sites whose pages may embed the chat widget:
# origins, or "*" for any; unset, only the desk's own pages (/chat/demo/).
NETDESK_CHAT_SITES = config.chat_sites()
# The longest message a visitor may send, in characters.
NETDESK_CHAT_MESSAGE_MAX_CHARS = config.env_int("NETDESK_CHAT_MESSAGE_MAX_CHARS", 2000, minimum=1)
# Messages one chat's visitor may send per minute.
NETDESK_CHAT_MESSAGES_PER_MINUTE = config.env_int("NETDESK_CHAT_MESSAGES_PER_MINUTE", 20, minimum=1)
# Chats one address may start per hour.
NETDESK_CHAT_STARTS_PER_HOUR = config.env_int("NETDESK_CHAT_STARTS_PER_HOUR", 10, minimum=1)
# An open chat whose visitor has neither written nor listened for this long
# was abandoned: it ends (or leaves the queue).
NETDESK_CHAT_IDLE_MINUTES = config.env_int("NETDESK_CHAT_IDLE_MINUTES", 15, minimum=1)
# A queued chat nobody took within this many seconds becomes a ticket.
NETDESK_CHAT_QUEUE_WAIT_SECONDS = config.env_int("NETDESK_CHAT_QUEUE_WAIT_SECONDS", 180, minimum=10)

NETDESK_AUTOCLOSE_DAYS = config.env_int("NETDESK_AUTOCLOSE_DAYS", 7)

# Customer portal (docs/portal.md): a mailed sign-in link is good once, for
# this many minutes; a portal session ends after this long without a page
# opened, and at the latest this many hours after sign-in.
NETDESK_PORTAL_LINK_MINUTES = config.env_int("NETDESK_PORTAL_LINK_MINUTES", 15, minimum=1)
NETDESK_PORTAL_IDLE_MINUTES = config.env_int("NETDESK_PORTAL_IDLE_MINUTES", 30, minimum=1)
NETDESK_PORTAL_SESSION_HOURS = config.env_int("NETDESK_PORTAL_SESSION_HOURS", 12, minimum=1)
# Sign-in links asked for per client address and per e-mail address; failed
# PINs per account and per client address (past it: locked out until the
# period ends).
NETDESK_PORTAL_LINK_RATE = config.env_rate("NETDESK_PORTAL_LINK_RATE", "20/hour")
NETDESK_PORTAL_LINK_EMAIL_RATE = config.env_rate("NETDESK_PORTAL_LINK_EMAIL_RATE", "5/hour")
NETDESK_PORTAL_PIN_FAILURES = config.env_rate("NETDESK_PORTAL_PIN_FAILURES", "5/hour")
NETDESK_PORTAL_PIN_ADDRESS_FAILURES = config.env_rate(
    "NETDESK_PORTAL_PIN_ADDRESS_FAILURES", "20/hour"
)
# The portal's address as customers reach it (https://portal.example.net),
# used in sign-in mails; empty: the address the request came to.
NETDESK_PORTAL_URL = config.env_str("NETDESK_PORTAL_URL", "").rstrip("/")
# The desk's address as customers reach it (https://desk.example.net), for
# the satisfaction survey links mailed to them (docs/surveys.md); empty:
# NETDESK_PORTAL_URL, else http://localhost:8000.
NETDESK_SURVEY_BASE_URL = config.env_str(
    "NETDESK_SURVEY_BASE_URL", NETDESK_PORTAL_URL or "http://localhost:8000"
).rstrip("/")
# Answers sent to survey pages per client address (the pages need no sign-in).
NETDESK_SURVEY_ANSWER_RATE = config.env_rate("NETDESK_SURVEY_ANSWER_RATE", "30/hour")
# Tickets opened, messages sent and tickets closed by one contact in the portal.
NETDESK_PORTAL_WRITE_RATE = config.env_rate("NETDESK_PORTAL_WRITE_RATE", "30/hour")
# Help-article searches and suggestions in the portal, per signed-in contact
# or, before sign-in, per client address (the help articles are public).
NETDESK_PORTAL_KB_RATE = config.env_rate("NETDESK_PORTAL_KB_RATE", "120/minute")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Served over HTTPS (usually behind a TLS proxy): cookies only over TLS,
# plain HTTP redirected, and browsers told to use HTTPS from then on (HSTS).
NETDESK_HTTPS = config.env_bool("NETDESK_HTTPS", False)
SESSION_COOKIE_SECURE = NETDESK_HTTPS
CSRF_COOKIE_SECURE = NETDESK_HTTPS
SECURE_SSL_REDIRECT = config.env_bool("NETDESK_SSL_REDIRECT", NETDESK_HTTPS)
# Load balancers check each process over plain HTTP, behind the TLS front.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = config.env_int(
    "NETDESK_HSTS_SECONDS", 365 * 24 * 3600 if NETDESK_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = config.env_bool("NETDESK_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = config.env_bool("NETDESK_HSTS_PRELOAD", True)
# The TLS proxy's header saying the client used HTTPS; trust it only when
# that proxy always sets (or strips) it.
SECURE_PROXY_SSL_HEADER = config.proxy_ssl_header()

# Scripts, styles and images from the desk itself only; no inline script.
# Style attributes stay allowed (bar widths are computed per row); style
# elements do not.
NETDESK_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-elem 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"secret_paths": {"()": "netdesk.core.logsecrets.SecretPathFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["secret_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    # The queue logs every task run at INFO (the SLA tick runs every 15 s).
    "loggers": {"netdesk": {"level": "INFO"}, "django_tasks": {"level": "WARNING"}},
}
