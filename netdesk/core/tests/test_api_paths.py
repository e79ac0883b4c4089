"""An integer id in an API path is digits: a padded or signed one is a 404,
not the object it resembles (schemathesis found /skills/%094%0A read as 4)."""

import pytest
from django.test import Client

from netdesk.accounts.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_an_integer_path_id_with_anything_but_digits_is_not_found():
    customer = f.customer()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user(Role.TEAM_LEAD))}")
    assert client.get(f"/api/v1/customers/{customer.pk}").status_code == 200
    for padded in (
        f"%09{customer.pk}%0A",
        f"%20{customer.pk}",
        f"+{customer.pk}",
        f"{customer.pk}%20",
    ):
        answer = client.get(f"/api/v1/customers/{padded}")
        assert answer.status_code == 404, (padded, answer.content)
        assert answer["Content-Type"] == "application/problem+json"


def test_the_documented_paths_keep_their_plain_parameters():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/customers/{customer_id}" in paths
    assert not [path for path in paths if "int:" in path]
