"""The import of an upload: the job that reads a stored file, checks its rows and writes them.

The job's type and its queue are named here and only here; the upload service queues the job by
this type, the live messages are registered for it, the API's queue endpoints work on this queue.
"""

IMPORT_JOB_TYPE = "uploads.import"
IMPORT_QUEUE = "uploads"
