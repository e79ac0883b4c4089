import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from netdesk.accounts.models import Role
from netdesk.tickets.models import Attachment
from tests import factories as f

pytestmark = pytest.mark.django_db


def client_for(agent):
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")


def test_attach_and_download_a_file(settings):
    operator = f.user()
    ticket = f.ticket(operator)
    client = client_for(operator)
    upload = SimpleUploadedFile("line-test.txt", b"SNR 3 dB, CRC errors", content_type="text/plain")
    created = client.post(f"/api/v1/tickets/{ticket.reference}/attachments", {"file": upload})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["filename"] == "line-test.txt"
    assert body["size"] == 20
    download = client.get(f"/api/v1/tickets/{ticket.reference}/attachments/{body['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"SNR 3 dB, CRC errors"
    assert download["Content-Disposition"].startswith("attachment;")
    assert ticket.events.filter(kind="attachment_added").count() == 1


def test_too_large_and_wrong_type_are_refused_naming_the_limit(settings):
    settings.NETDESK_ATTACHMENT_MAX_BYTES = 1024
    operator = f.user()
    ticket = f.ticket(operator)
    client = client_for(operator)
    big = SimpleUploadedFile("dump.txt", b"x" * 2048, content_type="text/plain")
    refused = client.post(f"/api/v1/tickets/{ticket.reference}/attachments", {"file": big})
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "file"
    assert "1024" in error["accepted"]
    script = SimpleUploadedFile("x.html", b"<script>", content_type="text/html")
    refused = client.post(f"/api/v1/tickets/{ticket.reference}/attachments", {"file": script})
    assert refused.status_code == 422
    assert "text/html" in refused.json()["errors"][0]["message"]
    assert Attachment.objects.count() == 0


def test_attachment_of_an_invisible_ticket_is_not_found():
    operator = f.user()
    manager = f.user(Role.ACCOUNT_MANAGER)
    ticket = f.ticket(operator)
    upload = SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")
    attachment_id = (
        client_for(operator)
        .post(f"/api/v1/tickets/{ticket.reference}/attachments", {"file": upload})
        .json()["id"]
    )
    response = client_for(manager).get(
        f"/api/v1/tickets/{ticket.reference}/attachments/{attachment_id}"
    )
    assert response.status_code == 404


def _png() -> bytes:
    """A real 1×1 PNG, built chunk by chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"


def _upload(client, ticket, name, content, declared="application/octet-stream"):
    upload = SimpleUploadedFile(name, content, content_type=declared)
    return client.post(f"/api/v1/tickets/{ticket.reference}/attachments", {"file": upload})


def test_an_executable_declared_as_a_pdf_is_refused_naming_what_it_is():
    operator = f.user()
    ticket = f.ticket(operator)
    client = client_for(operator)
    refused = _upload(client, ticket, "invoice.pdf.exe", EXE, declared="application/pdf")
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "file"
    assert error["value"] == "invoice.pdf.exe"
    assert "invoice.pdf.exe" in error["message"]
    assert "application/x-msdownload" in error["message"]
    assert any(".pdf" in accepted for accepted in error["accepted"])
    # The same program under an innocent name is refused by its content.
    refused = _upload(client, ticket, "invoice.pdf", EXE, declared="application/pdf")
    assert refused.status_code == 422
    message = refused.json()["errors"][0]["message"]
    assert "invoice.pdf" in message
    assert "application/x-msdownload" in message
    assert Attachment.objects.count() == 0
    assert not ticket.events.filter(kind="attachment_added").exists()


@pytest.mark.parametrize(
    ("name", "content", "stored_as"),
    [
        ("line-report.pdf", PDF, "application/pdf"),
        ("modem-leds.png", _png(), "image/png"),
        ("cabinet.JPG", JPEG, "image/jpeg"),
        ("cabinet.jpeg", JPEG, "image/jpeg"),
        ("ping.txt", b"64 bytes from 192.0.2.1: icmp_seq=1 ttl=57 time=12.1 ms\n", "text/plain"),
        ("router.log", b"Jan 12 10:01:02 cpe01 pppd[412]: LCP terminated\r\n", "text/plain"),
        ("ports.csv", "port;Straße\r\nge-0/0/1;Hauptstraße 1\r\n".encode(), "text/csv"),
        # Spreadsheets still save CSV as Windows-1252.
        (
            "ports-excel.csv",
            "port;Straße\r\nge-0/0/1;Hauptstraße 1\r\n".encode("cp1252"),
            "text/csv",
        ),
        ("report.exe.pdf", PDF, "application/pdf"),
    ],
)
def test_real_files_are_accepted_and_stored_with_the_type_of_their_content(
    name, content, stored_as
):
    operator = f.user()
    ticket = f.ticket(operator)
    created = _upload(client_for(operator), ticket, name, content)
    assert created.status_code == 201, created.content
    assert created.json()["content_type"] == stored_as
    assert Attachment.objects.get().content_type == stored_as


@pytest.mark.parametrize(
    ("name", "content", "detected"),
    [
        # A double extension: the last one is what the customer's computer acts on.
        ("invoice.pdf.exe", PDF, ".exe"),
        ("invoice.pdf.exe", b"totally a pdf\n", ".exe"),
        ("leds.png", PDF, "application/pdf"),
        ("statement.pdf", _png(), "image/png"),
        ("notes.txt", PDF, "application/pdf"),
        ("dump.txt", bytes(range(256)) * 4, "binary"),
        ("export.csv", b"port,state\n\x00\x00\x00\x01\x02", "binary"),
        ("blob.log", b"\x00\x01\x02\x03\x04\x05\x06\x07", "binary"),
        ("no-extension", b"plain words\n", "no extension"),
    ],
)
def test_content_and_name_that_disagree_are_refused(name, content, detected):
    operator = f.user()
    ticket = f.ticket(operator)
    refused = _upload(client_for(operator), ticket, name, content, declared="text/plain")
    assert refused.status_code == 422, refused.content
    error = refused.json()["errors"][0]
    assert error["field"] == "file"
    assert error["value"] == name
    assert name in error["message"]
    assert detected in error["message"]
    assert Attachment.objects.count() == 0


def test_the_ticket_page_refuses_a_disguised_program_with_the_reason():
    operator = f.user()
    ticket = f.ticket(operator)
    client = Client()
    client.force_login(operator)
    upload = SimpleUploadedFile("invoice.pdf.exe", EXE, content_type="application/pdf")
    response = client.post(
        f"/tickets/{ticket.reference}/comment/",
        {
            "comment-visibility": "internal",
            "comment-body": "customer sent this",
            "comment-file": upload,
        },
    )
    assert response.status_code == 422
    assert "application/x-msdownload" in response.content.decode()
    assert Attachment.objects.count() == 0
    assert not ticket.comments.exists()  # the note and its file go together or not at all
