from .campaigns import Batch, Campaign, Participation, Phase
from .indicators import Indicator, IndicatorValue
from .people import Membership, Role, SupervisionGroup
from .rollups import IndicatorRollup, ParticipationRollup
from .units import Unit, UnitKind

__all__ = [
    "Batch",
    "Campaign",
    "Indicator",
    "IndicatorRollup",
    "IndicatorValue",
    "Membership",
    "Participation",
    "ParticipationRollup",
    "Phase",
    "Role",
    "SupervisionGroup",
    "Unit",
    "UnitKind",
]
