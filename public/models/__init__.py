from .board import PublicTask
from .opinions import Opinion, OpinionLevel, OpinionStatus, OpinionStep
from .plans import PlanStatus, PlanVersion, RectificationPlan
from .settings import PublicSettings
from .surveys import Answer, SurveyMode, SurveyResponse, SurveyRound, SurveyScope, SurveyTarget, SurveyToken

__all__ = [
    "Answer",
    "Opinion",
    "OpinionLevel",
    "OpinionStatus",
    "OpinionStep",
    "PlanStatus",
    "PlanVersion",
    "PublicSettings",
    "PublicTask",
    "RectificationPlan",
    "SurveyMode",
    "SurveyResponse",
    "SurveyRound",
    "SurveyScope",
    "SurveyTarget",
    "SurveyToken",
]
