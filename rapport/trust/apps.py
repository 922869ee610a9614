from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TrustConfig(AppConfig):
    name = "rapport.trust"
    label = "trust"
    verbose_name = "Trust"

    def ready(self) -> None:
        from rapport.trust import ledger, signals

        signals.connect()
        post_migrate.connect(ledger.after_migrate, sender=self)
