from .alerts import Alert, JobRun, Notification, WarningPolicy, WorkerHeartbeat
from .coordination import CoordinationReply, CoordinationRequest
from .decisions import Explanation, ExtensionRequest, Urge, Verification
from .imports import LedgerImportRun
from .instructions import Instruction, InstructionReply
from .problems import Problem
from .progress import Evidence, ProgressUpdate
from .robots import ChatRobot, RobotMessage
from .rollups import DueRollup, RollupChange, TaskRollup
from .supervision import AccountabilityRecord, SpotCheck, SpotCheckFinding, SpotCheckUnitFinding
from .tasks import Task, TaskStatus, Term, WarningLevel

__all__ = [
    "AccountabilityRecord",
    "Alert",
    "ChatRobot",
    "CoordinationReply",
    "CoordinationRequest",
    "DueRollup",
    "Evidence",
    "Explanation",
    "ExtensionRequest",
    "Instruction",
    "InstructionReply",
    "JobRun",
    "LedgerImportRun",
    "Notification",
    "Problem",
    "ProgressUpdate",
    "RobotMessage",
    "RollupChange",
    "SpotCheck",
    "SpotCheckFinding",
    "SpotCheckUnitFinding",
    "Task",
    "TaskRollup",
    "TaskStatus",
    "Term",
    "Urge",
    "Verification",
    "WarningLevel",
    "WarningPolicy",
    "WorkerHeartbeat",
]
