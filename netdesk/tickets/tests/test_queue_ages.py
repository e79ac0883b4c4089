"""The queue's Age column reads as Django's `timesince` does, in the
active language, with each unit's words looked up once per language."""

import random
from datetime import UTC, datetime, timedelta

from django.utils.timesince import timesince
from django.utils.translation import override

from netdesk.tickets.queue_cells import age_strings


def test_ages_read_as_timesince_in_every_unit_and_language() -> None:
    rng = random.Random(7)
    now = datetime(2026, 3, 31, 12, 30, tzinfo=UTC)
    created = [now - timedelta(seconds=rng.randrange(0, 3 * 365 * 86400)) for _ in range(2000)]
    created += [
        now,
        now + timedelta(minutes=5),
        now - timedelta(minutes=1),
        now - timedelta(days=7),
    ]
    for language in ("en", "de", "fr"):
        with override(language):
            ages = age_strings()
            expected = [timesince(moment, now) for moment in created]
            assert [timesince(moment, now, time_strings=ages) for moment in created] == expected
    with override("de"):
        assert timesince(now - timedelta(days=2, hours=3), now, time_strings=age_strings()) == (
            "2\xa0Tage, 3\xa0Stunden"
        )
