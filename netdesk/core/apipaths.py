"""Integer path parameters matched as digits by the URL resolver.

django-ninja hands a path segment to pydantic, which reads " 4\\n" or "+4"
as the integer 4, so /skills/%094%0A answered skill 4. Matching such
parameters with Django's `int` converter ([0-9]+) turns anything else into
a plain 404 before a view runs, for every router at once; the OpenAPI
schema is unchanged (ninja strips converters from documented paths).
"""

from __future__ import annotations

import re
import typing
from functools import partial
from typing import Annotated, Any, get_args, get_origin

from ninja import Router

_PLAIN_PARAM = re.compile(r"\{(\w+)\}")


def _is_int(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation is int


def _int_params(view_func: Any) -> set[str]:
    hints = typing.get_type_hints(view_func, include_extras=True)
    return {name for name, hint in hints.items() if name != "return" and _is_int(hint)}


def _converted(match: re.Match[str], *, ints: set[str]) -> str:
    return f"{{int:{match[1]}}}" if match[1] in ints else match[0]


def integer_path_params(router: Router) -> None:
    """Rewrite `{name}` as `{int:name}` in `router`'s paths (and its nested
    routers') wherever every view on the path takes `name` as an int.
    Call before the API's URLs are built."""
    rewritten = {}
    for path, path_view in router.path_operations.items():
        ints = set.intersection(*(_int_params(op.view_func) for op in path_view.operations))
        new_path = _PLAIN_PARAM.sub(partial(_converted, ints=ints), path)
        for operation in path_view.operations:
            operation.path = new_path
        rewritten[new_path] = path_view
    router.path_operations = rewritten
    for _prefix, child, *_rest in router._routers:
        integer_path_params(child)
