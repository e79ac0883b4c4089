"""The hook list's answers and the operation ids kept across a move."""

from __future__ import annotations

from django.http import HttpRequest
from django.test import override_settings
from ninja import Router

from netdesk.core.hooks import hooks_answers
from netdesk.core.operationids import keep_operation_ids


def answer_one(*, value: int) -> int:
    return value + 1


def answer_two(*, value: int) -> int:
    return value * 10


@override_settings(
    NETDESK_HOOKS={
        "test_answers_in_order": [
            "netdesk.core.tests.test_hooks_and_operation_ids.answer_one",
            "netdesk.core.tests.test_hooks_and_operation_ids.answer_two",
        ]
    }
)
def test_hooks_answers_returns_each_answer_in_the_listed_order() -> None:
    assert hooks_answers("test_answers_in_order", value=4) == [5, 40]


def test_hooks_answers_without_hooks_is_empty() -> None:
    assert hooks_answers("test_nobody_listens") == []


def test_kept_operation_ids_name_the_module_that_served_them() -> None:
    parent = Router()
    child = Router()

    @child.get("/things")
    def things_list(request: HttpRequest) -> list[int]:
        return []

    @child.get("/things/{thing_id}", operation_id="explicit_id")
    def things_detail(request: HttpRequest, thing_id: int) -> int:
        return thing_id

    parent.add_router("", child)
    keep_operation_ids(parent, module="netdesk.old.api.things")
    operations = {
        op.view_func.__name__: op.operation_id
        for view in child.path_operations.values()
        for op in view.operations
    }
    assert operations == {
        "things_list": "netdesk_old_api_things_things_list",
        "things_detail": "explicit_id",
    }


def test_the_competency_apps_keep_the_operation_ids_clients_know() -> None:
    from netdesk.api import api

    paths = api.get_openapi_schema()["paths"]
    assert {
        paths["/api/v1/competency/frameworks"]["get"]["operationId"],
        paths["/api/v1/competency/cycles"]["get"]["operationId"],
        paths["/api/v1/competency/routing/rules"]["get"]["operationId"],
    } == {
        "netdesk_competency_api_framework_frameworks_list",
        "netdesk_competency_api_assessment_cycles",
        "netdesk_competency_api_routing_list_rules",
    }
