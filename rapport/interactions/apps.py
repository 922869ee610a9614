from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "rapport.interactions"
    label = "interactions"
    verbose_name = "Interactions"

    def ready(self) -> None:
        from django.db.models import QuerySet
        from django.db.models.signals import post_delete

        from rapport.interactions.models import Signal, signals_changed

        def deleted(instance: Signal, origin: object = None, **_: object) -> None:
            # Only signals deleted themselves: when their conversation (or person, or
            # team) goes, its participations go with it.
            if isinstance(origin, Signal) or (
                isinstance(origin, QuerySet) and origin.model is Signal
            ):
                signals_changed(instance.interaction_id)

        post_delete.connect(
            deleted, sender=Signal, weak=False, dispatch_uid="interactions-signal-bits"
        )
