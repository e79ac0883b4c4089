"""Memos stay exact across processes: a change marked by any process, in the
transaction of the write, is seen at the next use; a rolled-back change
leaves nothing stale behind."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from netdesk.core.memo import Memo, data_changed, data_versions_per_request
from netdesk.core.models import DataVersion, RateCount

pytestmark = pytest.mark.django_db


def _rate_memo(refresh: bool = False) -> tuple[Memo[list[str]], list[str]]:
    """A memo over RateCount rows (any small table does), logging how it was made."""
    made: list[str] = []

    def build() -> list[str]:
        made.append("built")
        return sorted(RateCount.objects.values_list("key", flat=True))

    def again(_: list[str]) -> list[str]:
        made.append("refreshed")
        return sorted(RateCount.objects.values_list("key", flat=True))

    return Memo(build, depends_on=[RateCount], refresh=again if refresh else None), made


def _count(key: str) -> None:
    RateCount.objects.create(key=key, period_start=0)


def test_kept_until_the_table_is_marked_changed():
    memo, made = _rate_memo()
    _count("a")
    assert memo.get() == ["a"]
    _count("b")
    assert memo.get() == ["a"]
    data_changed(RateCount)
    assert memo.get() == ["a", "b"]
    assert made == ["built", "built"]


def test_a_change_marked_by_another_process_is_seen_at_the_next_use():
    memo, _ = _rate_memo()
    assert memo.get() == []
    # What another process's data_changed leaves in the database.
    _count("a")
    DataVersion.objects.filter(label="core.RateCount").update(token="from-elsewhere")
    assert memo.get() == ["a"]


class _RolledBack(Exception):
    pass


def _write_then_fail(memo: Memo[list[str]]) -> None:
    with transaction.atomic():
        data_changed(RateCount)
        _count("gone")
        assert memo.get() == ["gone"]  # built from the rows about to roll back
        raise _RolledBack


def test_a_rolled_back_change_leaves_no_stale_memo():
    memo, _ = _rate_memo()
    assert memo.get() == []
    with pytest.raises(_RolledBack):
        _write_then_fail(memo)
    assert memo.get() == []


def test_one_query_per_request_however_many_uses():
    memo, _ = _rate_memo()
    other, _ = _rate_memo()
    memo.get()
    other.get()
    with data_versions_per_request(), CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            memo.get()
            other.get()
    assert len(queries.captured_queries) == 1


def test_a_change_within_the_request_is_seen_within_it():
    memo, _ = _rate_memo()
    with data_versions_per_request():
        assert memo.get() == []
        _count("a")
        data_changed(RateCount)
        assert memo.get() == ["a"]


def test_refresh_keeps_the_value_up_to_date_and_a_new_database_builds_anew():
    memo, made = _rate_memo(refresh=True)
    memo.get()
    _count("a")
    data_changed(RateCount)
    assert memo.get() == ["a"]
    DataVersion.objects.all().delete()  # as a fresh or restored database
    assert memo.get() == ["a"]
    assert made == ["built", "refreshed", "built"]


def test_forget_builds_anew_as_after_a_restart():
    memo, made = _rate_memo(refresh=True)
    memo.get()
    memo.forget()
    memo.get()
    assert made == ["built", "built"]
