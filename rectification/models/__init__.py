from .alerts import Alert, JobRun, Notification, WarningPolicy, WorkerHeartbeat
from .coordination import CoordinationReply, CoordinationRequest
from .decisions import Explanation, ExtensionRequest, Urge, Verification
from .problems import Problem
from .progress import Evidence, ProgressUpdate
from .supervision import AccountabilityRecord, SpotCheck, SpotCheckFinding
from .tasks import Task, TaskStatus, Term, WarningLevel

__all__ = [
    "AccountabilityRecord",
    "Alert",
    "CoordinationReply",
    "CoordinationRequest",
    "Evidence",
    "Explanation",
    "ExtensionRequest",
    "JobRun",
    "Notification",
    "Problem",
    "ProgressUpdate",
    "SpotCheck",
    "SpotCheckFinding",
    "Task",
    "TaskStatus",
    "Term",
    "Urge",
    "Verification",
    "WarningLevel",
    "WarningPolicy",
    "WorkerHeartbeat",
]
