from .accounts import LoginSession, Profile, ProvisionedAccount, ProvisioningRun
from .background import ExportJob, ImportRun, UnitImportRun
from .campaigns import Batch, Campaign, FigureReport, Participation, Phase
from .indicators import Indicator, IndicatorValue
from .people import Membership, Role, SupervisionGroup
from .rollups import IndicatorRollup, ParticipationRollup
from .units import OrgType, Unit, UnitKind

__all__ = [
    "Batch",
    "Campaign",
    "ExportJob",
    "Indicator",
    "IndicatorRollup",
    "IndicatorValue",
    "Membership",
    "FigureReport",
    "OrgType",
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
    "ImportRun",
    "UnitImportRun",
    "UnitKind",
]
