from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "rapport.network"
    label = "network"
    verbose_name = "Network"

    def ready(self) -> None:
        from rapport.network import tasks

        tasks.connect()
