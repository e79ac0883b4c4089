"""Phone numbers as the desk stores them: E.164 (+49301234567), whatever
form they were written in. National forms (030 1234567) are read in the
desk's region, NETDESK_PHONE_REGION; a number that cannot be read is refused
naming the field, the value and the forms accepted, never stored as typed."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from netdesk.core.errors import ValidationFailed

WHY_NOT_POSSIBLE = {
    ValidationResult.INVALID_COUNTRY_CODE: "its country code is not one",
    ValidationResult.TOO_SHORT: "it is too short",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "it lacks its area code",
    ValidationResult.INVALID_LENGTH: "it has a length no number there has",
    ValidationResult.TOO_LONG: "it is too long",
}


def phone_forms_accepted(region: str | None = None) -> str:
    """The forms a number may be written in, with the region's own example."""
    region = settings.NETDESK_PHONE_REGION if region is None else region
    international = "a number in international form such as +49 30 1234567"
    if not region:
        return international
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    if example is None:
        return international
    national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
    return f"{international}, or in the national form of {region} such as {national}"


def phone_e164(raw: str, *, field: str = "phone") -> str:
    """`raw` in E.164, or "" for no number. ValidationFailed when it cannot
    be read as a whole number (an extension would be lost, so it is refused)."""
    text = (raw or "").strip()
    if not text:
        return ""
    region = settings.NETDESK_PHONE_REGION
    try:
        number = phonenumbers.parse(text, region or None)
    except NumberParseException as exc:
        raise _refused(field, raw, _why_unreadable(exc, text), region) from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        raise _refused(field, raw, WHY_NOT_POSSIBLE.get(possible, "it is not possible"), region)
    if number.extension:
        raise _refused(field, raw, "an extension cannot be stored", region)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _why_unreadable(exc: NumberParseException, text: str) -> str:
    if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        if text.startswith(("+", "00")):
            return WHY_NOT_POSSIBLE[ValidationResult.INVALID_COUNTRY_CODE]
        return "it is in national form and the desk has no phone region"
    if exc.error_type in (
        NumberParseException.TOO_SHORT_NSN,
        NumberParseException.TOO_SHORT_AFTER_IDD,
    ):
        return WHY_NOT_POSSIBLE[ValidationResult.TOO_SHORT]
    if exc.error_type == NumberParseException.TOO_LONG:
        return WHY_NOT_POSSIBLE[ValidationResult.TOO_LONG]
    return "it is not a phone number"


def _refused(field: str, raw: str, why: str, region: str) -> ValidationFailed:
    accepted = phone_forms_accepted(region)
    return ValidationFailed(
        f"{field} {raw!r} cannot be stored as a phone number: {why}. Give {accepted}.",
        field=field,
        value=raw,
        accepted=accepted,
    )
