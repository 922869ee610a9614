from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "rapport.interactions"
    label = "interactions"
    verbose_name = "Interactions"
