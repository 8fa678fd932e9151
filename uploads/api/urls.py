from django.urls import path

from jobs.api import views as job_views
from uploads.api import views
from uploads.importing import IMPORT_QUEUE

urlpatterns = [
    path("process", views.ProcessView.as_view(), name="bulk-upload-process"),
    path("status/<str:job_id>", views.StatusView.as_view(), name="bulk-upload-status"),
    path("confirm/<str:job_id>", views.ConfirmView.as_view(), name="bulk-upload-confirm"),
    path("cancel/<str:job_id>", views.CancelView.as_view(), name="bulk-upload-cancel"),
    path("errors/<str:job_id>", views.ErrorsView.as_view(), name="bulk-upload-errors"),
    path("template/<str:import_type>", views.TemplateView.as_view(), name="bulk-upload-template"),
    path("history", views.HistoryView.as_view(), name="bulk-upload-history"),
    path("statistics", views.StatisticsView.as_view(), name="bulk-upload-statistics"),
    # The queue API's endpoints, on the uploads queue.
    path(
        "queue/stats",
        job_views.QueueCountsView.as_view(queue=IMPORT_QUEUE),
        name="bulk-upload-queue-stats",
    ),
    path(
        "queue/jobs",
        job_views.QueueJobsView.as_view(queue=IMPORT_QUEUE),
        name="bulk-upload-queue-jobs",
    ),
    path("queue/retry/<str:job_id>", views.QueueRetryView.as_view(), name="bulk-upload-retry"),
    path("queue/clean", views.QueueCleanView.as_view(), name="bulk-upload-clean"),
    path("queue/pause", views.QueueSwitchView.as_view(paused=True), name="bulk-upload-pause"),
    path("queue/resume", views.QueueSwitchView.as_view(paused=False), name="bulk-upload-resume"),
]
