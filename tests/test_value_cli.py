"""`rapport report value`, run as a user runs it: a real process on a fresh data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent

SEED = """
import datetime as dt
import django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from rapport.people.services import organisation_create, person_create, role_create
from rapport.value.services import value_item_create

dora = get_user_model().objects.get(username="dora")
huawei = organisation_create(actor=dora, name="华为技术", name_romanised="Huawei")
wang = person_create(
    actor=dora, given_name="小明", family_name="王", name_order="family_first",
    romanised_name="Wang Xiaoming",
)
role_create(actor=dora, person=wang, organisation=huawei, title="CFO", is_decision_maker=True)
value_item_create(actor=dora, person=wang, kind="saving", title="运费节省", amount="8000",
                  currency="CNY", delivered_on=dt.date(2026, 3, 2), told=True)
value_item_create(actor=dora, person=wang, kind="training", title="Excel workshop", hours="6",
                  delivered_on=dt.date(2026, 4, 10))
value_item_create(actor=dora, person=wang, kind="advice", title="Old advice",
                  delivered_on=dt.date(2025, 4, 10))
"""


def env_for(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RAPPORT_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["RAPPORT_DATA_DIR"] = str(data_dir)
    return env


def run(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "rapport.cli", *args],
        capture_output=True,
        text=True,
        env=env_for(data_dir),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.slow
def test_report_value_prints_the_period_by_kind_and_writes_a_pdf(tmp_path: Path) -> None:
    run(tmp_path, "init")
    run(tmp_path, "user", "add", "dora", "--team", "T", "--password", "a-long-passphrase")
    env = {**env_for(tmp_path), "DJANGO_SETTINGS_MODULE": "rapport.settings"}
    subprocess.run([sys.executable, "-c", SEED], env=env, cwd=ROOT, check=True, timeout=120)
    pdf = tmp_path / "wang.pdf"

    out = json.loads(
        run(
            tmp_path,
            "report",
            "value",
            "wxm",
            "--from",
            "2026-01-01",
            "--to",
            "2026-06-30",
            "--json",
            "--pdf",
            str(pdf),
            "--language",
            "zh-hans",
        ).stdout
    )

    assert out["client"] == "王小明" and out["language"] == "zh-hans"
    assert [k["kind"] for k in out["kinds"]] == ["saving", "training"]
    assert out["totals"] == [{"currency": "CNY", "amount": "8000.00"}]
    assert (out["hours"], out["not_told"], out["link"]) == ("6.00", 1, None)
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "运费节省" in text and "Excel workshop" in text and "Old advice" not in text

    table = run(
        tmp_path,
        "report",
        "value",
        "王小明",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--link",
    ).stdout
    assert "Excel workshop" in table and "8,000.00 CNY" in table and "/p/value/" in table

    bad = run(
        tmp_path, "report", "value", "wxm", "--from", "June", "--to", "2026-06-30", check=False
    )
    assert bad.returncode == 1 and "--from" in bad.stderr
    nobody = run(
        tmp_path,
        "report",
        "value",
        "nobody",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        check=False,
    )
    assert nobody.returncode == 1 and "no person or organisation" in nobody.stderr


def test_report_value_help_has_an_example(tmp_path: Path) -> None:
    result = run(tmp_path, "report", "value", "--help")
    assert "Example: rapport report value" in result.stdout
