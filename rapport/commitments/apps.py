from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# Small tables whose partial indexes SQLite only picks with statistics: without them it
# reads "open decisions" through the one-to-one's unique index, which holds every open
# decision under its single NULL key.
ANALYZED = ("commitments_commitment", "commitments_decision", "commitments_risk")


def analyse_sqlite_tables(using: str = "default", **_kwargs: Any) -> None:
    """Refresh the planner's statistics of the promise tables (SQLite only). With an
    analysis limit it samples, so it takes milliseconds even on a large book."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")
        for table in ANALYZED:
            cursor.execute(f"ANALYZE {table}")


class CommitmentsConfig(AppConfig):
    name = "rapport.commitments"
    label = "commitments"
    verbose_name = "Commitments"

    def ready(self) -> None:
        post_migrate.connect(analyse_sqlite_tables, sender=self)
