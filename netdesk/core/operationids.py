"""Operation ids that stay put when code moves.

django-ninja names an operation after the module and the function that
serve it (`netdesk_competency_api_framework_frameworks_list`). Clients
generated from the OpenAPI schema name their methods after these ids, so
moving an endpoint to another module must not rename it: a router whose
endpoints moved keeps the ids of the module that served them before.
"""

from __future__ import annotations

from ninja import Router


def keep_operation_ids(router: Router, *, module: str) -> None:
    """Give every operation of `router` (and of its nested routers) that has
    no explicit id the one ninja gives a function of that name in `module`.
    Call before the API's schema is built."""
    prefix = module.replace(".", "_")
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            if operation.operation_id is None:
                operation.operation_id = f"{prefix}_{operation.view_func.__name__}"
    for _prefix, child, *_rest in router._routers:
        keep_operation_ids(child, module=module)
