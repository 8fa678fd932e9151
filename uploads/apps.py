from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Bulk uploads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jobs.filters import search_hooks
        from jobs.services.bulk import purge_hooks
        from uploads import (
            live,  # noqa: F401 (registers the bulk_upload_* live messages)
        )
        from uploads.importing import job  # noqa: F401 (registers the uploads.import job type)
        from uploads.retention import uploads_purge_files
        from uploads.selectors import upload_job_search_q

        purge_hooks.append(uploads_purge_files)
        search_hooks.append(upload_job_search_q)
