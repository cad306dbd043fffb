"""The province's roster as offices keep it (issue 10): the party-member information systems
export party organisations with a category that names the *organisation type* (党委, 党工委,
党组, 党总支, 党支部, 联合党支部), not the kind of place (city, street, community, …) the
product sorts units by. The unit importer (campaign.importers) keeps the type in
``Unit.org_type`` and infers the kind of place from the name and the unit above:

- the name's own words: …社区… a community; …村…/…嘎查… a village; …局/委/办/厅… a
  department; …街道/镇/乡/苏木… a street or town; …公司/集团/企业/厂… an enterprise;
  …学校/医院/中心/研究院… an institution (the organisation-type suffix, 党委 or 委员会 for
  instance, is cut off first, so that the 委 of 党委 says nothing);
- a territorial committee (中共××委员会, or a name with nothing else to go by under a
  territorial parent) is one level below its parent: province → city → district → street;
- under a community, village, department, enterprise or institution, a unit is of its
  parent's kind (a branch of a community's committee is the community's).

Where none of these tells, :func:`kind_from_name` returns None and the importer asks in its
list of problems (row and column) for a kind to be written.
"""

import re
import unicodedata

from campaign.models import OrgType, UnitKind

# Words of the category column (and name endings), longest first where one ends another.
ORG_TYPE_WORDS = {
    "联合党支部": OrgType.JOINT_BRANCH,
    "联合支部": OrgType.JOINT_BRANCH,
    "党总支部": OrgType.GENERAL_BRANCH,
    "党总支": OrgType.GENERAL_BRANCH,
    "总支部": OrgType.GENERAL_BRANCH,
    "党支部": OrgType.BRANCH,
    "支部": OrgType.BRANCH,
    "党工委": OrgType.WORKING_COMMITTEE,
    "工作委员会": OrgType.WORKING_COMMITTEE,
    "党组": OrgType.LEADING_GROUP,
    "党委": OrgType.COMMITTEE,
    "委员会": OrgType.COMMITTEE,
    "基层党委": OrgType.COMMITTEE,
}
NAME_SUFFIXES = sorted(ORG_TYPE_WORDS, key=len, reverse=True)
TERRITORY_BELOW = {UnitKind.PROVINCE: UnitKind.CITY, UnitKind.CITY: UnitKind.DISTRICT, UnitKind.DISTRICT: UnitKind.STREET}
INHERITED = {UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.DEPARTMENT, UnitKind.ENTERPRISE, UnitKind.INSTITUTION}
# (pattern over the name without its organisation-type ending, kind), tried in order.
NAME_HINTS = (
    (r"社区|居委会|居民委员会", UnitKind.COMMUNITY),
    (r"嘎查|村委会|村民委员会", UnitKind.VILLAGE),
    (r"街道", UnitKind.STREET),
    (r"局|厅|署|委|办", UnitKind.DEPARTMENT),
    (r"村", UnitKind.VILLAGE),
    (r"镇|乡|苏木", UnitKind.STREET),
    (r"公司|集团|企业|厂|银行", UnitKind.ENTERPRISE),
    (r"学校|学院|大学|中学|小学|幼儿园|医院|卫生院|中心|研究院|研究所", UnitKind.INSTITUTION),
)


def _fold(text):
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))


def org_type_of(text):
    """The OrgType a category cell names (党支部, 联合党支部, the label, the code), or ""."""
    folded = _fold(text)
    if folded in ORG_TYPE_WORDS:
        return ORG_TYPE_WORDS[folded]
    for value, label in OrgType.choices:
        if folded.casefold() in (value, str(label).casefold()):
            return value
    return ""


def org_type_from_name(name):
    """The OrgType a name ends with (…党支部, …党工委, …委员会), or ""."""
    folded = _fold(name)
    for suffix in NAME_SUFFIXES:
        if folded.endswith(suffix):
            return ORG_TYPE_WORDS[suffix]
    return ""


def _core(name):
    """The name without "中共" and without its organisation-type ending (机关 too)."""
    folded = _fold(name).removeprefix("中国共产党").removeprefix("中共")
    for suffix in NAME_SUFFIXES:
        if folded.endswith(suffix):
            folded = folded[: -len(suffix)]
            break
    folded = re.sub(r"(机关|第[一二三四五六七八九十\d]+)$", "", folded)
    return folded


def kind_from_name(name, parent_kind=None):
    """The UnitKind of a party organisation named ``name`` under a unit of ``parent_kind``
    (None: at the top), or None when neither says."""
    core = _core(name)
    for pattern, kind in NAME_HINTS:
        if re.search(pattern, core):
            return kind
    if parent_kind in INHERITED:
        return parent_kind
    if parent_kind in TERRITORY_BELOW:
        return TERRITORY_BELOW[parent_kind]
    if parent_kind is None:
        if re.search(r"省|自治区", core):
            return UnitKind.PROVINCE
        if re.search(r"[市州盟]$", core):
            return UnitKind.CITY
    return None
