"""Bulk uploads: the file and its job, the bad rows, and the built-in import types' tables."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from uploads.validators import PROVINCES


class ImportMode(models.TextChoices):
    UPSERT = "upsert", "Create or update"
    CREATE_ONLY = "create_only", "Create only"
    UPDATE_ONLY = "update_only", "Update only"


class ErrorPolicy(models.TextChoices):
    SKIP_INVALID = "skip_invalid", "Import good rows, report bad ones"
    ALL_OR_NOTHING = "all_or_nothing", "Import nothing if any row is bad"


def upload_path(upload: Upload, filename: str) -> str:
    # Never the client's name on disk: a random name keeps paths safe and unguessable.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"uploads/{timezone.now():%Y/%m}/{upload.pk}.{suffix[:5]}"


class Upload(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to=upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    file_type = models.CharField(max_length=10)  # xlsx, ods, xls, csv, json (by content)
    import_type = models.CharField(max_length=50)
    mode = models.CharField(max_length=16, choices=ImportMode.choices, default=ImportMode.UPSERT)
    policy = models.CharField(
        max_length=16, choices=ErrorPolicy.choices, default=ErrorPolicy.SKIP_INVALID
    )
    dry_run = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploads",
    )
    job = models.OneToOneField(
        "jobs.QueueJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="upload"
    )
    # An import queued by confirming a dry run names it; the dry run keeps its own row, job,
    # stats and error report, and finds its import through `confirmed_by`.
    dry_run_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="confirmed_by",
        limit_choices_to={"dry_run": True},
    )
    validation_stats = models.JSONField(default=dict, blank=True)
    database_stats = models.JSONField(default=dict, blank=True)
    checkpoint = models.JSONField(default=dict, blank=True)
    error_report = models.FileField(upload_to="reports/", max_length=255, blank=True)
    processing_duration_ms = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "uploads"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["uploaded_by", "created_at"], name="uploads_user_idx")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.import_type})"


class UploadError(models.Model):
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="errors")
    row_number = models.PositiveIntegerField()
    column = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=30)
    message = models.TextField()
    raw_values = models.JSONField(default=dict)

    class Meta:
        db_table = "upload_errors"
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["upload", "row_number"], name="upload_errors_row_idx")]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.message}"


class Member(models.Model):
    """A South African membership record."""

    id_number = models.CharField(max_length=13, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.CharField(max_length=254, blank=True)
    cell_number = models.CharField(max_length=12, blank=True)
    province = models.CharField(max_length=3, choices=list(PROVINCES.items()))
    municipality = models.CharField(max_length=100, blank=True)
    ward = models.CharField(max_length=20, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "members"
        indexes = [models.Index(fields=["province", "municipality"], name="members_region_idx")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.id_number})"


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    BLOCKED = "blocked", "Blocked"
    LOST = "lost", "Lost"
    STOLEN = "stolen", "Stolen"


class Device(models.Model):
    imei = models.CharField(max_length=15, unique=True)
    brand = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "devices"

    def __str__(self) -> str:
        return self.imei
