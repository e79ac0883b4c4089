"""What the detector takes in and gives out: complaints, readings, spikes
(suspected outages), hints and the outcome of one complaint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from netdesk.noc.spikes.places import Node


@dataclass(frozen=True)
class Complaint:
    """One fault ticket or complaint as the detector sees it."""

    ticket_id: int
    at: datetime  # aware
    customer_id: int
    element_id: int | None
    area_id: int | None


class Reading(NamedTuple):
    complaints: int
    expected: float
    score: float

    @property
    def excess(self) -> float:
        return self.complaints - self.expected


@dataclass(frozen=True)
class Spike:
    """A suspected outage the detector raises."""

    node: Node  # what it names
    at: datetime
    window_start: datetime
    complaints: int
    customers: int
    expected: float
    score: float
    threshold: float
    ticket_ids: tuple[int, ...]
    hour_of_week: int
    fired: Node  # the node whose duration gate passed
    top: Node  # the hot node with the largest excess
    share: float  # the part of the top's excess `node` holds
    widens: tuple[Node, ...] = ()  # raised nodes below it, now explained by it
    level: int | None = None  # of the network tree (0 = the core); None: an area
    # A raised place above it whose wave it stands out from, and how many
    # times its usual rate that wave runs (`expected` includes it).
    wave: Node | None = None
    wave_ratio: float = 1.0


@dataclass(frozen=True)
class Hint:
    """A low-confidence hint: the first complaint from an access element
    that never had one (not in the baseline, not seen since), outside any
    raised outage. Whether an alarm explains it is the caller's to check."""

    node: Node
    level: int | None
    at: datetime
    ticket_id: int
    expected: float  # complaints the baseline expected there in the window


@dataclass(frozen=True)
class Outcome:
    raised: tuple[Spike, ...] = ()
    joined: Node | None = None  # the raised node on this complaint's path
    hint: Hint | None = None


NOTHING = Outcome()


class Entry:
    """One complaint in the detector's windows: when (seconds), which
    ticket and customer, the places it counts toward."""

    __slots__ = ("at", "customer_id", "nodes", "ticket_id")

    def __init__(self, at: float, ticket_id: int, customer_id: int, nodes: tuple[Node, ...]):
        self.at = at
        self.ticket_id = ticket_id
        self.customer_id = customer_id
        self.nodes = nodes
