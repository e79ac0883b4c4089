"""The IVR's question before a caller queues: who is calling, and is there a
known outage on their services? The PBX announces the outage's message,
and the call that follows counts as one whose caller heard it and still
waited (Call.heard_outage)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from netdesk.customers.models import normalise_phone
from netdesk.phone.models import CallerLookup, CtiEndpoint
from netdesk.phone.selectors import (
    CallerMatch,
    KnownOutage,
    callers_by_number,
    known_outage_for,
)

NUMBER_MAX = 64
UNKNOWN_CALLER = "The number is not one of a known customer."
SEVERAL_CALLERS = "The number is that of several customers; none has a known outage."
NO_OUTAGE = "No known outage affects the caller's services."


@dataclass(frozen=True)
class CallerAnswer:
    customer: CallerMatch | None
    outage: KnownOutage | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        customer = None
        if self.customer is not None:
            customer = {
                "id": self.customer.customer_id,
                "name": self.customer.name,
                "account_number": self.customer.account_number,
                "segment": self.customer.segment,
                "language": self.customer.language,
            }
        return {
            "customer": customer,
            "known_outage": self.outage is not None,
            "incident": self.outage.incident if self.outage else None,
            "message": self.message,
        }


def caller_lookup(*, endpoint: CtiEndpoint, number: str) -> CallerAnswer:
    """Who `number` is and the outage the IVR may announce, recorded so the
    call that follows is counted. A number of several customers is answered
    with no customer, and the first outage on any of theirs."""
    number = (number or "").strip()[:NUMBER_MAX]
    matches = callers_by_number(number)
    customer = matches[0] if len(matches) == 1 else None
    outage = known_outage_for([match.customer_id for match in matches])
    if outage is not None:
        message = outage.message
    elif customer is not None:
        message = NO_OUTAGE
    else:
        message = SEVERAL_CALLERS if matches else UNKNOWN_CALLER
    CallerLookup.objects.create(
        endpoint=endpoint,
        number_digits=normalise_phone(number)[:40],
        customer_id=customer.customer_id if customer else None,
        incident_reference=outage.incident if outage else "",
        at=timezone.now(),
    )
    return CallerAnswer(customer=customer, outage=outage, message=message)
