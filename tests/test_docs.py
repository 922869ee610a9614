"""The README must stay true: every command and every setting is documented there."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
RAPPORT = str(Path(sys.executable).with_name("rapport"))


def test_every_cli_command_is_in_the_readme():
    listing = subprocess.run([RAPPORT, "--help"], capture_output=True, text=True, check=True)
    commands = re.findall(r"^\s{2}(\w[\w-]*)\s{2,}", listing.stdout, re.MULTILINE)
    assert {"init", "demo", "serve", "user", "token"} <= set(commands)
    for command in commands:
        assert f"rapport {command}" in README, command


def test_every_setting_read_from_the_environment_is_in_the_readme():
    sources = (ROOT / "rapport" / "settings.py").read_text() + (
        ROOT / "rapport" / "env.py"
    ).read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', sources)) | {"DATABASE_URL"}
    assert {"RAPPORT_DATA_DIR", "RAPPORT_SECRET_KEY", "RAPPORT_DEBUG"} <= names
    for name in names:
        assert f"`{name}`" in README or f"`${name}`" in README, name


def test_the_readme_shows_the_two_commands():
    assert "make demo" in README and "make test" in README
