"""What an uploaded file is, decided from its content and its name together.

The type a client declares is never trusted: a program declared as
``application/pdf`` and named ``invoice.pdf.exe`` is refused by its name and
by its bytes alike. Formats with magic bytes must carry them; text formats
have none, so they must read as text.
"""

from __future__ import annotations

import codecs
import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import NoReturn

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from netdesk.core.errors import ValidationFailed


@dataclass(frozen=True)
class FileKind:
    """A type the desk knows how to recognise, and the names it goes by."""

    content_type: str
    extensions: tuple[str, ...]
    textual: bool = False  # no magic bytes: it must decode as text instead


KNOWN_KINDS = (
    FileKind("application/pdf", (".pdf",)),
    FileKind("image/png", (".png",)),
    FileKind("image/jpeg", (".jpg", ".jpeg")),
    FileKind("image/gif", (".gif",)),
    FileKind("application/zip", (".zip",)),
    FileKind("text/plain", (".txt", ".log"), textual=True),
    FileKind("text/csv", (".csv",), textual=True),
    FileKind("message/rfc822", (".eml",), textual=True),
)
# Magic-byte names of formats the desk accepts under another name.
SAME_FORMAT = {"image/apng": "image/png"}
# What magic-byte matchers need to see (filetype reads no further).
HEAD_BYTES = 8192
# Text has line breaks, tabs and form feeds; other control bytes mean binary data.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
TEXT = "text"
BINARY = "binary data"


def accepted_kinds() -> list[FileKind]:
    """The known kinds the desk is configured to accept."""
    return [kind for kind in KNOWN_KINDS if kind.content_type in settings.NETDESK_ATTACHMENT_TYPES]


def accepted_described() -> list[str]:
    return [f"{kind.content_type} ({', '.join(kind.extensions)})" for kind in accepted_kinds()]


def attachment_type(upload: UploadedFile) -> str:
    """The content type to store for the upload, when its content and the
    extension of its name agree on an accepted type; otherwise the refusal
    names the file, what its content and name say, and what is accepted."""
    name = upload.name or ""
    extension = PurePosixPath(name.lower()).suffix
    content = _content_of(upload)
    kind = next((k for k in accepted_kinds() if extension in k.extensions), None)
    if kind is None:
        said = "has no extension" if not extension else _extension_described(name, extension)
        _refuse(name, f"its name {said}, which is not accepted; its content is {content}")
    elif kind.textual and content != TEXT:
        _refuse(
            name,
            f"its name ends in {extension} ({kind.content_type}, a text format), "
            f"but its content is {content}",
        )
    elif not kind.textual and content != kind.content_type:
        _refuse(
            name,
            f"its name ends in {extension} ({kind.content_type}), but its content is {content}",
        )
    return kind.content_type


def _extension_described(name: str, extension: str) -> str:
    guessed = mimetypes.guess_type(name)[0]
    return f"ends in {extension} ({guessed})" if guessed else f"ends in {extension}"


def _refuse(name: str, reason: str) -> NoReturn:
    raise ValidationFailed(
        f"{name} is refused: {reason}.",
        field="file",
        value=name,
        accepted=accepted_described(),
    )


def _content_of(upload: UploadedFile) -> str:
    """The content type its magic bytes show, else TEXT or BINARY."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    found = filetype.guess(head)
    if found is not None:
        return SAME_FORMAT.get(found.mime, found.mime)
    return TEXT if _reads_as_text(upload, head) else BINARY


def _reads_as_text(upload: UploadedFile, head: bytes) -> bool:
    """Whether the whole file decodes as text: UTF-8, UTF-16 with its byte
    order mark, or Windows-1252 (what spreadsheets still save CSV as)."""
    encodings = ("utf-16",) if head.startswith(UTF16_BOMS) else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in upload.chunks():  # chunks() starts from the beginning
                if CONTROL_CHARACTERS.search(decoder.decode(chunk)):
                    return False
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return True
    return False


def upload_size(upload: UploadedFile) -> int:
    """The upload's size in bytes, refused when empty or over
    NETDESK_ATTACHMENT_MAX_BYTES (ticket and article files alike)."""
    limit = settings.NETDESK_ATTACHMENT_MAX_BYTES
    size = upload.size or 0
    if size > limit:
        raise ValidationFailed(
            f"{upload.name} is {size} bytes; the limit is {limit} bytes.",
            field="file",
            value=upload.name,
            accepted=f"files up to {limit} bytes",
        )
    if size == 0:
        raise ValidationFailed(
            f"{upload.name} is empty.", field="file", value=upload.name, accepted="a non-empty file"
        )
    return size
