from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models (so nothing of it shows in the admin): the `seed_demo` command and the builder it runs."""

    name = "demo"
    verbose_name = "Demo data"
