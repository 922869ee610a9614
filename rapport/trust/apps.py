from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "rapport.trust"
    label = "trust"
    verbose_name = "Trust"

    def ready(self) -> None:
        from rapport.trust import signals

        signals.connect()
