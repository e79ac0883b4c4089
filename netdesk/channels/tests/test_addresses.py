"""One rule for a list of mail addresses: the reply composer and the
outbound queue split, accept, refuse and limit them alike, with the same
error naming the field, the address and what is accepted."""

from __future__ import annotations

import pytest

from netdesk.channels.addresses import ACCEPTED_ADDRESSES, MAX_RECIPIENTS, addresses_checked
from netdesk.channels.forms import ReplyForm
from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.services.outbound import outbound_queue
from netdesk.core.errors import ValidationFailed

MANY = ", ".join(f"person{n}@example.net" for n in range(MAX_RECIPIENTS + 1))


def form_error(to: str) -> str:
    form = ReplyForm(data={"to": to, "body": "Hello."})
    assert not form.is_valid()
    return str(form.errors["to"][0])


def queue_error(to: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        outbound_queue(kind=OutboundKind.TEST, to=[to], subject="s", body="b")
    return refused.value


def test_pasted_lists_split_alike_with_names_and_repeats():
    typed = (
        'Jane <jane@example.net>; JANE@example.net\n"Doe, John" <john@example.net>,ops@x.example'
    )

    form = ReplyForm(data={"to": typed, "body": "Hello."})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["to"] == ["jane@example.net", "john@example.net", "ops@x.example"]
    assert addresses_checked([typed], field="to") == form.cleaned_data["to"]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["carla@", "not an address", "Jane <jane@>"])
def test_a_bad_address_gets_the_same_error_from_the_form_and_the_queue(bad):
    typed = f"ok@example.net, {bad}"

    expected = f"{{field}}: {bad!r} is not an e-mail address. Accepted: {ACCEPTED_ADDRESSES}."
    assert form_error(typed) == expected.format(field="To")
    refused = queue_error(typed)
    assert refused.message == expected.format(field="to")
    assert (refused.field, refused.value, refused.accepted) == ("to", bad, ACCEPTED_ADDRESSES)
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_the_same_recipient_limit_holds_for_the_form_and_the_queue():
    expected = f"{{field}}: {MAX_RECIPIENTS + 1} addresses; at most {MAX_RECIPIENTS} are accepted."

    assert form_error(MANY) == expected.format(field="To")
    assert queue_error(MANY).message == expected.format(field="to")
    assert not OutboundMessage.objects.exists()
    allowed = MANY.rsplit(", ", 1)[0]
    row = outbound_queue(kind=OutboundKind.TEST, to=[allowed], subject="s", body="b")
    assert len(row.to_addresses.split(", ")) == MAX_RECIPIENTS
