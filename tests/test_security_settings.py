"""HTTPS deployments: the documented production variables pass Django's
deploy check, bad values stop the process, and every answer carries a
strict Content-Security-Policy."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from netdesk.accounts.models import Role
from tests import factories as f

DEPLOYMENT_DOC = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"


def documented_production_variables() -> dict[str, str]:
    text = DEPLOYMENT_DOC.read_text()
    _, _, after = text.partition("<!-- production-variables -->")
    block, _, _ = after.partition("<!-- /production-variables -->")
    return dict(re.findall(r"^export (NETDESK_\w+)=(\S+)$", block, flags=re.MULTILINE))


def netdesk(args, env):
    return subprocess.run(
        [sys.executable, "-m", "netdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def fresh_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    env["NETDESK_DATA_DIR"] = str(tmp_path / "data")
    env["DJANGO_SETTINGS_MODULE"] = "netdesk.settings"
    return env


def test_deploy_check_is_clean_with_the_documented_production_variables(fresh_env):
    variables = documented_production_variables()
    assert {"NETDESK_HTTPS", "NETDESK_PROXY_SSL_HEADER", "NETDESK_CSRF_TRUSTED_ORIGINS"} <= set(
        variables
    )
    result = netdesk(["check", "--deploy", "--fail-level", "WARNING"], fresh_env | variables)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_without_them_names_what_is_missing(fresh_env):
    result = netdesk(["check", "--deploy", "--fail-level", "WARNING"], fresh_env)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("NETDESK_CSRF_TRUSTED_ORIGINS", "desk.example.net", "starts with"),
        ("NETDESK_API_RATE", "fast", "is not a rate"),
        ("NETDESK_PROXY_SSL_HEADER", "X Forwarded: Proto", "is not a header name"),
        ("NETDESK_HTTPS", "sometimes", "is not a boolean"),
    ],
)
def test_a_bad_value_stops_the_process_naming_the_variable(fresh_env, name, value, said):
    result = netdesk(["check"], fresh_env | {name: value})
    assert result.returncode != 0
    assert name in result.stderr
    assert said in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/v1/docs", "/no/such/page/", "/status/"])
def test_every_answer_has_a_strict_content_security_policy(path):
    answer = Client().get(path)
    policy = dict(
        part.strip().split(" ", 1) for part in answer["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src-elem"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy["default-src"]


@pytest.mark.django_db
def test_pages_have_no_inline_script_or_style_element():
    lead = f.user(Role.ADMINISTRATOR)
    client = Client()
    client.force_login(lead)
    ticket = f.ticket(lead)
    for path in ["/", f"/tickets/{ticket.reference}/", "/competency/", "/status/", "/api/v1/docs"]:
        answer = client.get(path, follow=True)
        page = answer.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert "<style" not in page, path


@pytest.mark.django_db
def test_api_docs_load_swagger_from_the_desk_itself():
    page = Client().get("/api/v1/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert all(asset.startswith("/") for asset in assets), assets
