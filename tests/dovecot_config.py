"""The throwaway Dovecot configuration the test server runs with, per Dovecot series.

Debian 12 ships Dovecot 2.3, Debian 13 ships 2.4, which renamed most options.
"""

import dataclasses
from pathlib import Path

SUPPORTED_SERIES = ("2.3", "2.4")


@dataclasses.dataclass(frozen=True)
class DovecotSetup:
    """Where and as whom the test server runs.

    `root` holds run/, state/, the passwd-file `users`, the homes and the log;
    `run_as` (user, group) is set when not started as root: every Dovecot
    process then runs as that one account.
    """

    root: Path
    host: str
    port: int
    mail_uid: int
    run_as: tuple[str, str] | None


def dovecot_series(version: str) -> str:
    """`2.4` from `2.4.1-4`."""
    return ".".join(version.split(".")[:2])


def dovecot_config(version: str, setup: DovecotSetup) -> str:
    """The configuration file's text for Dovecot `version`."""
    series = dovecot_series(version)
    if series == "2.3":
        lines = _series_23(setup)
    elif series == "2.4":
        lines = _series_24(setup)
    else:
        raise ValueError(
            f"dovecot {version}: the test server knows the options of Dovecot "
            f"{' and '.join(SUPPORTED_SERIES)} only"
        )
    if setup.run_as is not None:
        # Without root there is no one to switch to, and no chroot.
        user, group = setup.run_as
        lines += [
            f"default_internal_user = {user}",
            f"default_internal_group = {group}",
            f"default_login_user = {user}",
            "service anvil {",
            "  chroot =",
            "}",
            "service imap-login {",
            "  chroot =",
            "}",
        ]
    return "\n".join(lines) + "\n"


def _common(setup: DovecotSetup) -> list[str]:
    root = setup.root
    return [
        "protocols = imap",
        f"listen = {setup.host}",
        f"base_dir = {root}/run",
        f"state_dir = {root}/state",
        f"log_path = {root}/dovecot.log",
        # Tests speak plain IMAP on the loopback interface.
        "ssl = no",
        "auth_mechanisms = plain login",
        # A refused login answers at once, not after Dovecot's 2 s penalty.
        "auth_failure_delay = 0",
        # Nor are later logins from the tests' address slowed down after one
        # was refused (anvil's penalty: 2 s, then 4, 8, up to 15 s each):
        # without its socket the auth process keeps no penalties at all.
        # (login_trusted_networks does not lift it in 2.3.)
        "service anvil {",
        "  unix_listener anvil-auth-penalty {",
        "    mode = 0",
        "  }",
        "}",
        # Mail is stored as this one account (root's uid is never allowed).
        f"first_valid_uid = {setup.mail_uid}",
        f"last_valid_uid = {setup.mail_uid}",
    ]


def _series_23(setup: DovecotSetup) -> list[str]:
    users = setup.root / "users"
    return [
        *_common(setup),
        "disable_plaintext_auth = no",
        "mail_location = maildir:~/Maildir",
        "passdb {",
        "  driver = passwd-file",
        f"  args = {users}",
        "}",
        "userdb {",
        "  driver = passwd-file",
        f"  args = {users}",
        "}",
        "service imap-login {",
        "  inet_listener imap {",
        f"    address = {setup.host}",
        f"    port = {setup.port}",
        "  }",
        "  inet_listener imaps {",
        "    port = 0",
        "  }",
        "}",
    ]


def _series_24(setup: DovecotSetup) -> list[str]:
    users = setup.root / "users"
    return [
        # 2.4 wants these two first.
        "dovecot_config_version = 2.4.0",
        "dovecot_storage_version = 2.4.0",
        *_common(setup),
        "auth_allow_cleartext = yes",
        "mail_driver = maildir",
        "mail_path = %{home}/Maildir",
        "namespace inbox {",
        "  inbox = yes",
        "}",
        "passdb passwd-file {",
        f"  passwd_file_path = {users}",
        "}",
        "userdb passwd-file {",
        f"  passwd_file_path = {users}",
        "}",
        "service imap-login {",
        "  inet_listener imap {",
        f"    listen = {setup.host}",
        f"    port = {setup.port}",
        "  }",
        "  inet_listener imaps {",
        "    port = 0",
        "  }",
        "}",
    ]
