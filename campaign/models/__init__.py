from .accounts import LoginSession, Profile, ProvisionedAccount, ProvisioningRun
from .campaigns import Batch, Campaign, FigureReport, Participation, Phase
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
    "FigureReport",
    "Participation",
    "ParticipationRollup",
    "LoginSession",
    "Phase",
    "Profile",
    "ProvisionedAccount",
    "ProvisioningRun",
    "Role",
    "SupervisionGroup",
    "Unit",
    "UnitKind",
]
