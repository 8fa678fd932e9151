"""`manage.py queue_pause QUEUE`"""

from jobs.management.base import QueueSwitchCommand
from jobs.services import queue_pause


class Command(QueueSwitchCommand):
    help = "Pause a queue: nothing new starts, active jobs finish, waiting jobs keep their place."
    action = queue_pause
    done = "paused"
