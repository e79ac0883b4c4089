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
    assert body["filename"] == "line-test.txt" and body["size"] == 20
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
    assert error["field"] == "file" and "1024" in error["accepted"]
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
