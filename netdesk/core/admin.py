"""What every NetDesk admin page shares."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from netdesk.core.memo import data_changed


class DataChangedMixin:
    """An edit, addition or deletion in the admin marks its table changed,
    as the services do, so every process's memos that read it are built
    again (`netdesk.core.memo`)."""

    model: type[Model]

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        data_changed(self.model)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        data_changed(self.model)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        data_changed(self.model)
