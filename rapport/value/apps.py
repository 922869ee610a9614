from django.apps import AppConfig


class ValueConfig(AppConfig):
    name = "rapport.value"
    label = "value"
    verbose_name = "Value ledger"
