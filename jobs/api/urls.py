from django.urls import path

from jobs.api import views

urlpatterns = [
    path("jobs", views.JobListView.as_view(), name="queue-jobs"),
    path("jobs/<str:job_id>", views.JobDetailView.as_view(), name="queue-job"),
    path("jobs/<str:job_id>/cancel", views.JobCancelView.as_view(), name="queue-job-cancel"),
    path("jobs/<str:job_id>/retry", views.JobRetryView.as_view(), name="queue-job-retry"),
    path("retry-failed", views.RetryFailedView.as_view(), name="queue-retry-failed"),
    path("cancel", views.BulkCancelView.as_view(), name="queue-cancel"),
    path("clear-completed", views.ClearCompletedView.as_view(), name="queue-clear-completed"),
    path("stats", views.StatsView.as_view(), name="queue-stats"),
    path("workers", views.WorkersView.as_view(), name="queue-workers"),
    path("metrics", views.MetricsView.as_view(), name="queue-metrics"),
    path("process-next", views.ProcessNextView.as_view(), name="queue-process-next"),
    path("process-batch", views.ProcessBatchView.as_view(), name="queue-process-batch"),
    path("items", views.ItemsView.as_view(), name="queue-items"),
    path("worker/start", views.WorkerSwitchView.as_view(suspend=False), name="queue-worker-start"),
    path("worker/stop", views.WorkerSwitchView.as_view(suspend=True), name="queue-worker-stop"),
    path("worker/status", views.WorkerStatusView.as_view(), name="queue-worker-status"),
    path("<str:queue>/pause", views.QueueSwitchView.as_view(paused=True), name="queue-pause"),
    path("<str:queue>/resume", views.QueueSwitchView.as_view(paused=False), name="queue-resume"),
]
