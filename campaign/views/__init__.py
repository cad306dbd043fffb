from .campaigns import ParticipationListView, campaign_detail
from .imports import unit_import, unit_import_run, unit_import_template
from .units import unit_children, unit_detail, unit_search, unit_tree

__all__ = ["ParticipationListView", "campaign_detail", "unit_children", "unit_detail", "unit_import", "unit_import_run", "unit_import_template", "unit_search", "unit_tree"]
