"""Splitting a syslog TCP stream into messages (RFC 6587). No sockets."""

from __future__ import annotations

from netdesk.integrations.syslog.framing import FrameError, TcpFrameDecoder


def frame(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


def test_octet_counted_frames_may_contain_line_ends() -> None:
    decoder = TcpFrameDecoder()
    first, second = b"<13>1 - h a - - - two\nlines", b"<13>1 - h a - - - next"
    assert decoder.feed(frame(first) + frame(second)) == [first, second]


def test_octet_counted_frame_split_anywhere() -> None:
    decoder = TcpFrameDecoder()
    stream = frame(b"<13>hello") + frame(b"<13>world")
    out: list[bytes | FrameError] = []
    for index in range(len(stream)):
        out += decoder.feed(stream[index : index + 1])
    assert out == [b"<13>hello", b"<13>world"]
    assert decoder.finish() == []


def test_newline_and_nul_trailers_and_crlf() -> None:
    decoder = TcpFrameDecoder()
    out = decoder.feed(b"<13>one\n<13>two\r\n<13>three\x00<13>fo")
    assert out == [b"<13>one", b"<13>two", b"<13>three"]
    assert decoder.feed(b"ur\n") == [b"<13>four"]


def test_framings_may_mix_and_blank_lines_are_skipped() -> None:
    decoder = TcpFrameDecoder()
    out = decoder.feed(b"\n\n" + frame(b"<13>counted") + b"\n<13>lined\n")
    assert out == [b"<13>counted", b"<13>lined"]


def test_last_unterminated_line_counts_at_close() -> None:
    decoder = TcpFrameDecoder()
    assert decoder.feed(b"<13>no newline at the end") == []
    assert decoder.finish() == [b"<13>no newline at the end"]


def test_truncated_octet_counted_frame_at_close() -> None:
    decoder = TcpFrameDecoder()
    assert decoder.feed(b"50 <13>short") == []
    [error] = decoder.finish()
    assert isinstance(error, FrameError)
    assert error.reason == "truncated frame"


def test_overlong_line_is_refused_and_the_stream_recovers() -> None:
    decoder = TcpFrameDecoder(max_frame=100)
    out = decoder.feed(b"<13>" + b"x" * 300)
    assert len(out) == 1
    assert isinstance(out[0], FrameError)
    assert out[0].reason == "frame too long"
    assert decoder.feed(b"still the long one\n<13>next\n") == [b"<13>next"]
    assert not decoder.broken


def test_bad_octet_count_breaks_the_connection() -> None:
    decoder = TcpFrameDecoder()
    [error] = decoder.feed(b"12x <13>hello\n")
    assert isinstance(error, FrameError)
    assert error.reason == "bad octet count"
    assert decoder.broken
    assert decoder.feed(b"<13>more\n") == []


def test_digits_without_a_space_break_the_connection() -> None:
    decoder = TcpFrameDecoder()
    [error] = decoder.feed(b"123456789012 <13>x")
    assert isinstance(error, FrameError)
    assert error.reason == "bad octet count"


def test_announced_length_over_the_limit_breaks_the_connection() -> None:
    decoder = TcpFrameDecoder(max_frame=1000)
    [error] = decoder.feed(b"5000 <13>x")
    assert isinstance(error, FrameError)
    assert error.reason == "frame too long"
    assert decoder.broken
