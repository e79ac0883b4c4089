"""Errors a service raises when a request cannot be carried out.

They carry what an RFC 9457 problem document needs: which field was wrong,
the value given and what is accepted, so the API and the UI can both say it.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A request that breaks a business rule; shown to the user as-is."""

    status = 400
    kind = "invalid-request"
    title = "The request cannot be carried out"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        accepted: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.accepted = accepted

    def as_error(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message}
        if self.field is not None:
            error["field"] = self.field
            error["value"] = self.value
        if self.accepted is not None:
            error["accepted"] = self.accepted
        return error


class ValidationFailed(ServiceError):
    status = 422
    kind = "validation-error"
    title = "A field has a value that is not accepted"


class TransitionNotAllowed(ServiceError):
    status = 409
    kind = "transition-not-allowed"
    title = "The ticket cannot make this change in its current state"


class ConfirmationNeeded(ServiceError):
    """A request the user may still make, once they have seen why the desk
    hesitates: the listed `items`, and a `field` to send as true to go on."""

    status = 409
    kind = "confirmation-needed"
    title = "Confirm to go on"

    def __init__(self, message: str, *, field: str, items: list[str]) -> None:
        super().__init__(message, field=field, value=False, accepted=[True])
        self.items = items

    def as_error(self) -> dict[str, Any]:
        return {**super().as_error(), "items": self.items}


class PermissionDenied(ServiceError):
    status = 403
    kind = "permission-denied"
    title = "You are not allowed to do this"


class NotFound(ServiceError):
    status = 404
    kind = "not-found"
    title = "No such record"


class ImportFailed(Exception):
    """An import that cannot go on at all (a bad header, an unreadable file,
    a refused token): raised before anything of the failing stage is
    written, with a message naming the file, the place and what is accepted."""
