from django.apps import AppConfig


class GiftsConfig(AppConfig):
    name = "rapport.gifts"
    label = "gifts"
    verbose_name = "Gifts"

    def ready(self) -> None:
        from rapport.gifts import signals
        from rapport.transfer.merge import HANDLERS, _reassign

        # Merging two records of one person: the other's gifts become the kept person's
        # (their over-limit flags stay as they were when each gift was recorded).
        HANDLERS.setdefault("gifts.Gift.person", ("gifts", _reassign))
        signals.connect()
