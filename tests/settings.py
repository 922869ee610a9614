"""Test settings: the real settings, with a throwaway data folder and a fast hasher."""

import os
import tempfile

os.environ.setdefault("RAPPORT_TESTING", "1")
os.environ.setdefault("RAPPORT_DATA_DIR", tempfile.mkdtemp(prefix="rapport-test-"))

from rapport.settings import *  # noqa: F403

# Hashing cost is not under test; the production default (PBKDF2) is used everywhere else.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
