from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Bulk uploads"
    default_auto_field = "django.db.models.BigAutoField"
