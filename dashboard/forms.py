"""The dashboard's forms: they parse and check what a person typed; services do the rest."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast
from uuid import UUID

from django import forms
from django.conf import settings

from jobs import roles
from jobs.lifecycle import FINISHED
from jobs.models import JobStatus
from jobs.registry import client_job_types
from jobs.services import BULK_ACTIONS, JobSpec
from uploads.importers import IMPORT_TYPES
from uploads.models import ErrorPolicy, ImportMode


def choices(field: forms.Field) -> forms.ChoiceField:
    return cast(forms.ChoiceField, field)


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, key) for key in BULK_ACTIONS])
    scope = forms.ChoiceField(choices=[("selected", "selected"), ("all", "all matching")])
    ids = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    q = forms.CharField(required=False)  # the list's query string (its filters)
    confirmed = forms.BooleanField(required=False)

    def clean_ids(self) -> list[str]:
        try:
            return [str(UUID(str(raw))) for raw in self.cleaned_data["ids"] or []]
        except ValueError:
            raise forms.ValidationError("A selected job id is not a job id.") from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("scope") == "selected" and not cleaned.get("ids"):
            raise forms.ValidationError("Select at least one job, or act on all matching jobs.")
        return cleaned


class JobSubmitForm(forms.Form):
    """The job panel: a job of a type clients may submit, its data checked as JSON."""

    type = forms.ChoiceField()
    arguments = forms.CharField(
        label="Data",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        initial="{}",
        help_text='A JSON object: the job\'s arguments, such as {"seconds": 5}.',
    )
    priority = forms.TypedChoiceField(coerce=int)
    scheduled_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
        help_text=f"Optional; in {settings.TIME_ZONE} time. Leave empty to run now.",
    )
    max_attempts = forms.IntegerField(min_value=1, max_value=100, required=False)
    batch_id = forms.CharField(max_length=64, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ceiling = roles.priority_ceiling(user)
        choices(self.fields["type"]).choices = [
            (t.key, f"{t.key} · {t.description}" if t.description else t.key)
            for t in client_job_types()
        ]
        choices(self.fields["priority"]).choices = priority_choices(ceiling)
        self.fields["priority"].initial = ceiling

    def clean_arguments(self) -> dict[str, Any]:
        try:
            data = json.loads(self.cleaned_data["arguments"] or "{}")
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        if not isinstance(data, dict):
            raise forms.ValidationError("The data must be a JSON object: {...}.")
        return data

    def spec(self) -> JobSpec:
        data = self.cleaned_data
        return JobSpec(
            type=data["type"],
            data=data["arguments"],
            priority=data["priority"],
            scheduled_at=data.get("scheduled_at"),
            max_attempts=data.get("max_attempts"),
            batch_id=data.get("batch_id") or "",
        )


class CleanForm(forms.Form):
    """Remove finished jobs older than an age (the API's queue clean)."""

    queue = forms.ChoiceField(required=False)
    older_than_hours = forms.FloatField(min_value=0, initial=24, label="Older than (hours)")
    status = forms.MultipleChoiceField(
        choices=[(s, JobStatus(s).label) for s in FINISHED],
        initial=[JobStatus.COMPLETED],
        widget=forms.CheckboxSelectMultiple,
    )
    confirmed = forms.BooleanField(required=False)

    def __init__(self, *args: Any, queues: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices(self.fields["queue"]).choices = [("", "every queue"), *((q, q) for q in queues)]

    def criteria(self) -> dict[str, Any]:
        """The clean asked for, in jobs_clean's terms: the age, the statuses, the queue or all."""
        data = self.cleaned_data
        return {
            "older_than": dt.timedelta(hours=data["older_than_hours"]),
            "statuses": data["status"],
            "queue": data["queue"] or None,
        }


class UploadForm(forms.Form):
    """A new upload: the file and how to import it (the API's options)."""

    file = forms.FileField(
        help_text="xlsx, xls, ods or csv with a header row; the template shows the columns."
    )
    import_type = forms.ChoiceField(label="Import type")
    mode = forms.ChoiceField(choices=ImportMode.choices, initial=ImportMode.UPSERT)
    policy = forms.ChoiceField(
        label="Bad rows", choices=ErrorPolicy.choices, initial=ErrorPolicy.SKIP_INVALID
    )
    dry_run = forms.BooleanField(
        required=False,
        label="Dry run: check and preview what would change, import nothing yet",
    )
    priority = forms.TypedChoiceField(coerce=int)
    scheduled_at = forms.DateTimeField(
        required=False,
        label="Start at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
        help_text=f"Optional; in {settings.TIME_ZONE} time. Leave empty to start now.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices(self.fields["import_type"]).choices = [
            (key, importer.label) for key, importer in IMPORT_TYPES.items()
        ]
        ceiling = roles.priority_ceiling(user)
        choices(self.fields["priority"]).choices = priority_choices(ceiling)
        self.fields["priority"].initial = ceiling


def priority_choices(ceiling: int) -> list[tuple[int, str]]:
    """From the role's ceiling (its default) down to 10, the lowest."""
    return [
        (level, f"{level}{' (highest you may use)' if level == ceiling else ''}")
        for level in range(ceiling, 11)
    ]


class ConfirmForm(forms.Form):
    """Import a dry run: at its priority, or another within the user's ceiling."""

    priority = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, user: Any, current: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ceiling = roles.priority_ceiling(user)
        choices(self.fields["priority"]).choices = priority_choices(ceiling)
        self.fields["priority"].initial = max(current, ceiling)
