"""Syslog over TCP (RFC 6587): splits a byte stream into messages. Each frame
is either octet-counted ("MSG-LEN SP MSG") or ends with a trailer: LF, as
rsyslog and syslog-ng send, or NUL, as Python's SysLogHandler does. A sender
may mix both; a frame starting with a digit is octet-counted, since a syslog
message itself starts with '<'."""

from __future__ import annotations

from dataclasses import dataclass

# Digits of MSG-LEN: enough for any frame we accept, few enough to notice
# quickly that a stream is not octet-counted at all.
_MSG_LEN_DIGITS_MAX = 7
_TRAILERS = b"\n\x00"


@dataclass(frozen=True)
class FrameError:
    """A frame that could not be taken from the stream."""

    reason: str
    detail: str
    excerpt: bytes = b""


class TcpFrameDecoder:
    """Sans-I/O decoder: `feed` bytes as they arrive, get back whole frames and
    errors. After an error it cannot recover from (a bad or too large octet
    count: where the next frame starts is unknown), `broken` is set and the
    connection should be closed."""

    def __init__(self, *, max_frame: int = 65536) -> None:
        self.max_frame = max_frame
        self.broken = False
        self._buffer = bytearray()
        self._discarding = False  # inside a trailer-framed message that is too long

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        if self.broken:
            return []
        self._buffer += data
        out: list[bytes | FrameError] = []
        while self._buffer and not self.broken:
            if self._discarding:
                end = _find_trailer(self._buffer)
                if end < 0:
                    self._buffer.clear()
                    break
                del self._buffer[: end + 1]
                self._discarding = False
                continue
            first = self._buffer[0]
            if first in b"\r\n\x00 \t":
                # Stray line ends between frames (e.g. octet-counted frames
                # followed by LF, as some senders write them).
                del self._buffer[0]
                continue
            item = self._octet_counted() if 0x30 <= first <= 0x39 else self._trailer_framed()
            if item is None:
                break
            out.append(item)
        return out

    def finish(self) -> list[bytes | FrameError]:
        """The peer closed the connection: what is left is the last frame."""
        if self.broken or self._discarding or not self._buffer.strip(b"\r\n\x00 \t"):
            self._buffer.clear()
            return []
        rest = bytes(self._buffer)
        self._buffer.clear()
        if 0x30 <= rest[0] <= 0x39:
            return [FrameError("truncated frame", "connection closed inside a frame", rest[:200])]
        return [rest]

    def _octet_counted(self) -> bytes | FrameError | None:
        space = self._buffer.find(b" ", 0, _MSG_LEN_DIGITS_MAX + 1)
        if space < 0:
            if len(self._buffer) <= _MSG_LEN_DIGITS_MAX and self._buffer.isdigit():
                return None  # the length is still arriving
            return self._break("bad octet count", "expected MSG-LEN followed by a space")
        digits = bytes(self._buffer[:space])
        if not digits.isdigit():
            return self._break("bad octet count", f"{digits[:20]!r} is not a length")
        length = int(digits)
        if length == 0:
            return self._break("bad octet count", "MSG-LEN is 0")
        if length > self.max_frame:
            return self._break(
                "frame too long", f"{length} octets announced, at most {self.max_frame} accepted"
            )
        end = space + 1 + length
        if len(self._buffer) < end:
            return None
        frame = bytes(self._buffer[space + 1 : end])
        del self._buffer[:end]
        return frame

    def _trailer_framed(self) -> bytes | FrameError | None:
        end = _find_trailer(self._buffer)
        if end < 0:
            if len(self._buffer) > self.max_frame:
                excerpt = bytes(self._buffer[:200])
                self._buffer.clear()
                self._discarding = True
                return FrameError(
                    "frame too long", f"no line end within {self.max_frame} octets", excerpt
                )
            return None
        frame = bytes(self._buffer[:end]).rstrip(b"\r")
        del self._buffer[: end + 1]
        if len(frame) > self.max_frame:
            return FrameError(
                "frame too long", f"{len(frame)} octets, at most {self.max_frame}", frame[:200]
            )
        return frame

    def _break(self, reason: str, detail: str) -> FrameError:
        self.broken = True
        excerpt = bytes(self._buffer[:200])
        self._buffer.clear()
        return FrameError(reason, detail, excerpt)


def _find_trailer(buffer: bytearray) -> int:
    found = [index for index in (buffer.find(t) for t in _TRAILERS) if index >= 0]
    return min(found) if found else -1
