from .campaigns import Batch, Campaign, Participation, Phase
from .indicators import Indicator, IndicatorValue
from .people import Membership, Role, SupervisionGroup
from .units import Unit, UnitKind

__all__ = [
    "Batch",
    "Campaign",
    "Indicator",
    "IndicatorValue",
    "Membership",
    "Participation",
    "Phase",
    "Role",
    "SupervisionGroup",
    "Unit",
    "UnitKind",
]
