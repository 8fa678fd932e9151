from django.apps import AppConfig
from django.conf import settings


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jobs import live

        live.connect()
        from jobs import prometheus

        prometheus.receivers_connect()  # wait/run histograms for GET /metrics
        if settings.DIAGNOSTIC_JOBS:
            from jobs import diagnostics  # noqa: F401 (registers the system.* job types)
