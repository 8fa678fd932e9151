"""`manage.py queue_resume QUEUE`"""

from jobs.management.base import QueueSwitchCommand
from jobs.services import queue_resume


class Command(QueueSwitchCommand):
    help = "Resume a paused queue: its waiting jobs start by priority, then age."
    action = queue_resume
    done = "resumed"
