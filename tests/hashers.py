"""Password hashing for tests."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with a single round. A hash names its rounds, so a desk
    started by a test (`netdesk serve`, with the production settings)
    signs in the users the test made."""

    iterations = 1
