"""Words and places the demo generator draws from. The people and places
(regions and towns with coordinates, people's names, streets, company
names) and the phrases agents write in call reports are data, read from
data/*.json; the desk's mix (products per access technology, ticket types,
channels, arrival curves) stays here, next to the choices it names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from netdesk.network.models import ElementKind
from netdesk.tickets.choices import ResolutionCode, RootCause, TicketType

DATA = Path(__file__).resolve().parent / "data"
Town = tuple[str, str, float, float, str, str]


def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


_PEOPLE = _read("people_and_places.json")
_PHRASES = _read("phrases.json")

# (code, name, latitude, longitude, towns: (code, name, lat, lon, area code, postcode))
REGIONS: list[tuple[str, str, float, float, list[Town]]] = [
    (code, name, lat, lon, [(t[0], t[1], t[2], t[3], t[4], t[5]) for t in towns])
    for code, name, lat, lon, towns in _PEOPLE["regions"]
]
FIRST_NAMES: list[str] = _PEOPLE["first_names"]
LAST_NAMES: list[str] = _PEOPLE["last_names"]
STREETS: list[str] = _PEOPLE["streets"]
COMPANY_WORDS: list[str] = _PEOPLE["company_words"]
COMPANY_FORMS: list[str] = _PEOPLE["company_forms"]
GROUP_NAMES: list[str] = _PEOPLE["group_names"]
# Group names come in pairs of words ("Nordstern Handel").
GROUP_ACCOUNT_NAMES = [
    f"{GROUP_NAMES[i]} {GROUP_NAMES[i + 1]}" for i in range(0, len(GROUP_NAMES) - 1, 2)
]
CONTACT_ROLES: list[str] = _PEOPLE["contact_roles"]

# Which access technologies and products each access element kind carries:
# (technology, product, residential weight, business weight).
PRODUCTS: dict[str, list[tuple[str, str, int, int]]] = {
    ElementKind.OLT: [
        ("ftth", "Fibre 100", 25, 0),
        ("ftth", "Fibre 500", 45, 0),
        ("ftth", "Fibre 1000", 15, 0),
        ("ftth", "Business Fibre 1G", 0, 60),
        ("ftth", "Business Fibre 500", 0, 40),
    ],
    ElementKind.DSLAM: [
        ("vdsl", "VDSL 50", 30, 0),
        ("vdsl", "VDSL 100", 45, 0),
        ("vdsl", "VDSL 250", 15, 0),
        ("adsl", "ADSL 16", 10, 0),
        ("vdsl", "Business VDSL 100", 0, 100),
    ],
    ElementKind.CMTS: [
        ("cable", "Cable 250", 50, 0),
        ("cable", "Cable 500", 30, 0),
        ("cable", "Cable 1000", 20, 0),
        ("cable", "Business Cable 500", 0, 100),
    ],
    ElementKind.BASE_STATION: [
        ("fixed_wireless", "Home 5G 300", 70, 0),
        ("mobile", "Mobile Data 100 GB", 30, 30),
        ("fixed_wireless", "Business 5G Backup", 0, 70),
    ],
    ElementKind.AGGREGATION_SWITCH: [
        ("leased_line", "Leased line 100M", 0, 60),
        ("leased_line", "Leased line 1G", 0, 40),
    ],
}
# Share of access elements of each kind in a town (fibre is being rolled out).
ACCESS_KIND_WEIGHTS: list[tuple[str, int]] = [
    (ElementKind.OLT, 40),
    (ElementKind.DSLAM, 30),
    (ElementKind.CMTS, 18),
    (ElementKind.BASE_STATION, 12),
]
ELEMENT_CODES: dict[str, str] = {
    ElementKind.CORE_ROUTER: "CR",
    ElementKind.AGGREGATION_SWITCH: "AGG",
    ElementKind.OLT: "OLT",
    ElementKind.DSLAM: "DSLAM",
    ElementKind.CMTS: "CMTS",
    ElementKind.BASE_STATION: "BTS",
}

# Ticket mix of a consumer ISP desk: faults dominate, complaints are rare.
TYPE_WEIGHTS: list[tuple[str, int]] = [
    (TicketType.FAULT, 44),
    (TicketType.INFORMATION_REQUEST, 20),
    (TicketType.BILLING_INQUIRY, 16),
    (TicketType.SERVICE_REQUEST, 15),
    (TicketType.COMPLAINT, 5),
]
CHANNEL_WEIGHTS: list[tuple[str, int]] = [
    ("phone", 64),
    ("email", 16),
    ("chat", 12),
    ("web", 8),
]
# Arrivals per weekday (Monday first) and per hour of the day: Monday peak
# after the weekend, quiet Sunday; a morning peak and an evening peak when
# residential customers are home.
WEEKDAY_WEIGHTS = [1.25, 1.1, 1.05, 1.0, 0.95, 0.6, 0.45]
HOUR_WEIGHTS = [
    0.15, 0.1, 0.07, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 2.1, 2.2, 2.0,
    1.7, 1.8, 1.9, 1.8, 1.7, 1.8, 2.0, 1.9, 1.5, 1.0, 0.6, 0.3,
]  # fmt: skip

# Read through the choices, so a phrase file naming a ticket type, resolution
# code or root cause the desk does not know fails here, not in stored rows.
TITLES: dict[str, list[str]] = {
    TicketType(kind): titles for kind, titles in _PHRASES["titles"].items()
}
FIRST_CONTACT_NOTES: dict[str, list[str]] = {
    TicketType(kind): notes for kind, notes in _PHRASES["first_contact_notes"].items()
}
# By the line escalated to.
ESCALATION_REASONS: dict[str, list[str]] = _PHRASES["escalation_reasons"]
# (resolution code, root cause, note) per resolving line
RESOLUTIONS: dict[str, list[tuple[str, str, str]]] = {
    line: [
        (ResolutionCode(code), RootCause(cause) if cause else "", note)
        for code, cause, note in resolutions
    ]
    for line, resolutions in _PHRASES["resolutions"].items()
}
