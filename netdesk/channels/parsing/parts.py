"""The MIME tree of a mail walked once: body text and HTML, attachments
(inline images, nested mails as .eml files), delivery reports."""

from __future__ import annotations

import io
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser

from netdesk.channels.parsing.charsets import decode_bytes, repair_8bit
from netdesk.channels.parsing.headers import HeaderBlock, decode_words, text_header
from netdesk.channels.parsing.parsed import ParsedAttachment, Problems
from netdesk.channels.parsing.uuencode import decode_uu_lines, take_uuencoded

# Content types mail software gets wrong, read as what they meant.
_WRONG_TYPES = {"plain/text": "text/plain", "text/plan": "text/plain", "html/text": "text/html",
                "text/htm": "text/html", "text/x-html": "text/html"}  # fmt: skip
# Other renderings of the same text in multipart/alternative.
_REDUNDANT = {"text/enriched", "text/richtext", "text/watch-html", "text/x-amp-html"}
_NESTED_MAIL = {"message/rfc822", "message/global"}
_UU_ENCODINGS = {"x-uuencode", "uuencode", "uue", "x-uue"}
_MAX_DEPTH = 60
# A line that can only be a boundary: printable, no quote or backslash (the
# guess is written back into a quoted parameter), longer than RFC 2046's 70
# characters allowed, as senders exceed it.
_BOUNDARY_LINE = re.compile(rb"^--([!#-\[\]-~]{1,200}?)(?:--)?[ \t]*\r?$", re.MULTILINE)
_HTML_START = ("<!doctype html", "<html")
# The standard library's own table, not this machine's /etc/mime.types: the
# same file gets the same type everywhere.
_TYPES = mimetypes.MimeTypes()
_EXTENSIONS = {"text/calendar": ".ics", "text/plain": ".txt", "text/rfc822-headers": ".txt"}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]+")

# Said by the walk itself, in its own words.
_SAID_BY_THE_WALK = {"MultipartInvariantViolationDefect"}
_DEFECTS = {
    "NoBoundaryInMultipartDefect": "a multipart part declares no boundary",
    "StartBoundaryNotFoundDefect": "the multipart boundary never occurs in the body",
    "CloseBoundaryNotFoundDefect": "the closing multipart boundary is missing",
    "FirstHeaderLineIsContinuationDefect": "the first header line is a continuation line",
    "MisplacedEnvelopeHeaderDefect": "a 'From ' envelope line among the header fields",
    "MissingHeaderBodySeparatorDefect": "a line in the header block is no header field; "
    "the body is taken to start there",
    "InvalidMultipartContentTransferEncodingDefect": "a multipart part declares a transfer "
    "encoding other than 7bit, 8bit or binary",
    "InvalidBase64PaddingDefect": "base64 with wrong padding",
    "InvalidBase64CharactersDefect": "base64 with characters outside its alphabet",
    "InvalidBase64LengthDefect": "base64 of an impossible length; the last character dropped",
}


@dataclass
class Body:
    """What the walk found, in document order."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    # message/delivery-status parts and the headers of mails sent back.
    delivery_reports: list[Message] = field(default_factory=list)
    returned_headers: list[HeaderBlock] = field(default_factory=list)


def mime_fields(part: Message) -> Message:
    """The part's Content-* fields alone, in a compat32 message. Parameters
    are read from it: policy.default parses a field again on every read, at
    many times compat32's cost, and gives the same values here (encoded
    words and raw 8-bit are decoded by this package either way)."""
    fields = Message(policy=email_policy.compat32)
    for name, value in part.raw_items():
        if name.lower().startswith("content-"):
            fields[name] = value
    return fields


def content_type(fields: Message) -> str:
    declared = fields.get_content_type()
    return _WRONG_TYPES.get(declared, declared)


def _safe_filename(name: str) -> str:
    # A name is a name, not a path: "..\\..\\boot.ini" is "boot.ini".
    name = _UNSAFE_NAME.sub("", name).replace("\\", "/").rsplit("/", 1)[-1]
    return name.strip().lstrip(".").strip()


class _Walk:
    def __init__(self, *, charset_hint: str | None, problems: Problems) -> None:
        self.body = Body()
        self.charset_hint = charset_hint
        self.problems = problems
        self.visited: list[tuple[Message, str]] = []

    def run(self, message: Message) -> Body:
        stack: list[tuple[Message, int]] = [(message, 0)]
        while stack:
            part, depth = stack.pop()
            fields = mime_fields(part)
            ctype = content_type(fields)
            self.visited.append((part, "the message" if depth == 0 else f"a {ctype} part"))
            if depth > _MAX_DEPTH:
                self.problems.add(f"parts nested deeper than {_MAX_DEPTH} levels kept as a file")
                self._attach(fields, "application/octet-stream", self._message_bytes(part))
            elif ctype.startswith("multipart/"):
                children = self._children(part, ctype)
                stack.extend((child, depth + 1) for child in reversed(children))
            else:
                self._leaf(part, fields, ctype)
        for part, where in self.visited:
            for defect in part.defects:
                if type(defect).__name__ in _SAID_BY_THE_WALK:
                    continue
                text = _DEFECTS.get(type(defect).__name__, type(defect).__name__)
                self.problems.add(f"{text} ({where})")
        return self.body

    def _children(self, part: Message, ctype: str) -> list[Message]:
        payload = part.get_payload()
        if isinstance(payload, list) and payload:
            children = [child for child in payload if isinstance(child, Message)]
            return _alternatives(children) if ctype == "multipart/alternative" else children
        fields = mime_fields(part)
        data = self._payload(part, fields)
        guessed = _reparse_with_guessed_boundary(part, ctype, data)
        if guessed is not None:
            self.problems.add(f"{ctype} without a usable boundary; boundary taken from the body")
            return [guessed]
        self.problems.add(f"{ctype} without parts; its body read as text")
        self._text(data, fields, "text/plain")
        return []

    def _leaf(self, part: Message, fields: Message, ctype: str) -> None:
        name = self._filename(fields)
        disposition = fields.get_content_disposition()
        data = b"" if ctype in _NESTED_MAIL else self._payload(part, fields)
        if ctype in _NESTED_MAIL:
            self._nested_mail(part, fields, name)
        elif ctype == "message/delivery-status":
            self.body.delivery_reports.append(part)
            self._attach(fields, ctype, data, name or "delivery-status.txt")
        elif ctype in {"text/plain", "text/html"} and disposition != "attachment" and not name:
            self._text(data, fields, ctype)
        else:
            if ctype == "text/rfc822-headers":
                self._returned_headers(BytesParser(policy=part.policy).parsebytes(data))
            self._attach(fields, ctype, data, name)

    def _text(self, data: bytes, fields: Message, ctype: str) -> None:
        charset = fields.get_content_charset() or self.charset_hint
        text = decode_bytes(data, charset, where=f"in a {ctype} part", problems=self.problems)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if ctype == "text/plain" and text.lstrip()[:20].lower().startswith(_HTML_START):
            self.problems.add("a text/plain part holds HTML; read as HTML")
            ctype = "text/html"
        if ctype == "text/html":
            self.body.html.append(text)
            return
        text, files = take_uuencoded(text)
        for filename, content in files:
            self.problems.add(f"uuencoded file {filename!r} taken out of the text")
            guessed = _TYPES.guess_type(filename)[0] or "application/octet-stream"
            safe = _safe_filename(filename) or "uuencoded.bin"
            self.body.attachments.append(ParsedAttachment(safe, guessed, content))
        self.body.plain.append(text)

    def _nested_mail(self, part: Message, fields: Message, name: str) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            data = self._payload(part, fields)
            self._attach(fields, "message/rfc822", data, name or "message.eml")
            return
        headers = HeaderBlock(inner, fallback_charset=self.charset_hint, problems=self.problems)
        self.body.returned_headers.append(headers)
        subject = _safe_filename(text_header(headers, "subject", problems=self.problems))
        fallback = f"{subject[:80]}.eml" if subject else "message.eml"
        self._attach(fields, "message/rfc822", self._message_bytes(inner), name or fallback)

    def _returned_headers(self, headers: Message) -> None:
        block = HeaderBlock(headers, fallback_charset=self.charset_hint, problems=self.problems)
        self.body.returned_headers.append(block)

    def _attach(self, fields: Message, ctype: str, data: bytes, name: str = "") -> None:
        if ctype == "application/octet-stream" and name:
            ctype = _TYPES.guess_type(name)[0] or ctype
        if not name:
            extension = _EXTENSIONS.get(ctype) or _TYPES.guess_extension(ctype) or ".bin"
            name = f"attachment-{len(self.body.attachments) + 1}{extension}"
        content_id = str(fields.get("content-id", "") or "").strip().strip("<>").strip()
        disposition = fields.get_content_disposition()
        inline = disposition == "inline" or (disposition is None and bool(content_id))
        self.body.attachments.append(ParsedAttachment(name, ctype, data, content_id, inline))

    def _filename(self, fields: Message) -> str:
        name = fields.get_filename() or ""
        if not name:
            return ""
        where = "an attachment's file name"
        name = repair_8bit(
            str(name), fallback=self.charset_hint, where=where, problems=self.problems
        )
        return _safe_filename(decode_words(name, where=where, problems=self.problems))

    def _payload(self, part: Message, fields: Message) -> bytes:
        """The decoded bytes of a part, whatever shape the parser left."""
        encoding = str(fields.get("content-transfer-encoding", "") or "").strip().lower()
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks = [item for item in payload if isinstance(item, Message)]
            return b"\n".join(self._message_bytes(item) for item in blocks)
        if encoding in _UU_ENCODINGS and isinstance(payload, str):
            lines = [
                line for line in payload.splitlines() if not line.startswith(("begin ", "end"))
            ]
            return decode_uu_lines(lines)
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            return data
        return str(payload or "").encode("utf-8", errors="surrogateescape")

    def _message_bytes(self, message: Message) -> bytes:
        """A nested mail as it came (header fields written back unfolded)."""
        buffer = io.BytesIO()
        writer_policy = email_policy.compat32.clone(max_line_length=0, linesep="\r\n")
        try:
            BytesGenerator(buffer, mangle_from_=False, policy=writer_policy).flatten(message)
        except Exception as error:  # the generator meets what the parser let through
            self.problems.add(f"a nested part could not be written back whole ({error})")
        return buffer.getvalue()


def _role(part: Message) -> str:
    """What an alternative renders: "html", "plain", "redundant" or "other"."""
    ctype = content_type(mime_fields(part))
    if ctype in _REDUNDANT:
        return "redundant"
    if ctype in {"text/html", "text/plain"}:
        return ctype.removeprefix("text/")
    if ctype.startswith("multipart/"):
        inner = [content_type(mime_fields(p)) for p in part.walk()]
        if "text/html" in inner:
            return "html"
        if "text/plain" in inner:
            return "plain"
    return "other"


def _alternatives(children: list[Message]) -> list[Message]:
    """The last plain and the last HTML rendering (RFC 2046: the last is the
    richest) and any other part (a calendar invitation) as a file."""
    roles = [_role(child) for child in children]
    keep: set[int] = set()
    for wanted in ("plain", "html"):
        chosen = [i for i, role in enumerate(roles) if role == wanted]
        keep.update(chosen[-1:])
    keep.update(i for i, role in enumerate(roles) if role == "other")
    return [child for i, child in enumerate(children) if i in keep]


def _reparse_with_guessed_boundary(part: Message, ctype: str, data: bytes) -> Message | None:
    match = _BOUNDARY_LINE.search(data)
    if match is None:
        return None
    boundary = match.group(1).decode("ascii")
    head = f'Content-Type: {ctype}; boundary="{boundary}"\n\n'.encode()
    guessed = BytesParser(policy=part.policy).parsebytes(head + data)
    payload = guessed.get_payload()
    return guessed if isinstance(payload, list) and payload else None


def walk_body(message: Message, *, charset_hint: str | None, problems: Problems) -> Body:
    return _Walk(charset_hint=charset_hint, problems=problems).run(message)
