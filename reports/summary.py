"""The summary report in the speech's shape (shared/REPORT-SAMPLE.md): the leader's
narrative (:class:`~reports.models.Narrative`, drafted from the facts) interleaved
with sentences generated from the facts (:mod:`reports.facts`).

A sentence, or a clause of one, whose figure is ``None`` (not entered) is left
out and the figure is on the check page; a clause whose count is 0 (nothing of
the kind happened) is left out too, since the speech never says "0 次".
"""

from django.db import transaction
from django.utils.translation import gettext as _

from . import charts
from .models import Narrative
from .numbers import cn_ordinal, count, day, money, percent

PRACTICES = 3
LESSONS = 3
KEYS = (
    [k for n in range(1, PRACTICES + 1) for k in (f"practice_{n}_heading", f"practice_{n}")]
    + ["lessons_intro"]
    + [k for n in range(1, LESSONS + 1) for k in (f"lesson_{n}_heading", f"lesson_{n}")]
)
SCOPE_WORDS = {"city": "全市", "district": "全区", "street": "全街道"}


def scope_word(unit):
    return SCOPE_WORDS.get(unit.kind, "本单位")


def is_heading(key):
    return key.endswith("_heading")


def label(key):
    """What a narrative field is, for the edit form."""
    if key == "lessons_intro":
        return _("Lessons: opening paragraph")
    kind, n = key.split("_")[0], key.split("_")[1]
    part = _("Practice") if kind == "practice" else _("Lesson")
    return f"{part} ({cn_ordinal(int(n))}) " + (_("heading") if is_heading(key) else _("paragraph"))


# --- the drafts ---------------------------------------------------------------------------------


def drafts(f):
    """A first draft of every narrative paragraph, from the facts ``f`` (staff rewrite them)."""
    where = scope_word(f.unit)
    several_batches = f.campaign is not None and f.batch is None and f.campaign.batches.count() > 1
    d = {
        "practice_1_heading": "从善始善终抓领导指导督导入手推动整改任务落实",
        "practice_1": (
            f"整改工作开展以来,{where}各级领导小组、办公室和督导组始终没有放松对整改工作的领导、指导和督导,"
            "对整改不到位、整改措施落实进度缓慢的问题进行重点督导,并把督促检查与问责制结合起来,"
            "对没有按期完成整改任务的单位要求其说明原因,推动各级进一步抓整改落实。"
        ),
        "practice_2_heading": "从上下联动协调解决入手推动难点问题的解决",
        "practice_2": (
            "我们把基层难以解决的、需要上级部门和单位协调解决的问题,及时通报相关部门、单位协调解决,"
            "要求不能把当前能够解决的问题放在中长期整改任务中,不能以中长期整改任务为借口无限期拖延整改。"
        ),
        "practice_3_heading": (
            "从两个批次互动抓整改入手推动整改任务的落实" if several_batches else "从查漏补缺入手巩固和扩大整改成果"
        ),
        "practice_3": (
            "针对有些突出问题表现在基层、但根源在上级有关部门的实际,坚持把第一批的整改作为第二批活动的重要内容,"
            "坚持两批次互动,保证了整改工作的质量和效果。"
            if several_batches
            else "各级党组织深入开展“五查五看”,对照整改方案逐条逐项查漏补缺,推动整改任务的落实。"
        ),
        "lessons_intro": "整改工作的生动实践,使我们对抓好整改落实的规律有了进一步的认识,积累了工作经验。我们体会到:",
        "lesson_1_heading": "必须坚持问题导向,把群众反映强烈的问题作为整改的重点",
        "lesson_1": (
            "整改工作要从群众最急、最盼、最难、最怨的问题改起,"
            + (
                f"本次查摆的{count(f['problems'])}个问题中,群众意见{count(f['source_public'])}个,"
                if f["problems"] and f["source_public"]
                else ""
            )
            + "只有让群众看到实实在在的效果,整改工作才能得到党员和群众的衷心拥护。"
        ),
        "lesson_2_heading": "必须加强领导,抓好引导指导督导",
        "lesson_2": (
            "建立一把手负总责、一级抓一级、层层抓落实的工作格局,坚持明查与暗访相结合,"
            "对超期未完成的整改任务及时督办,发现问题及时解决,确保整改工作扎实有效地推进。"
        ),
        "lesson_3_heading": "必须坚持走群众路线,由群众评判整改成效",
        "lesson_3": (
            "在整改工作的每个阶段和环节,都要注意广泛听取群众意见,向群众通报情况,接受群众监督,"
            "由群众来评价整改工作取得的效果。"
        ),
    }
    return d


# --- the narrative of a scope -------------------------------------------------------------------


def stored(unit, batch):
    """{key: Narrative} kept for ``unit`` and ``batch``."""
    return {n.key: n for n in Narrative.objects.filter(unit=unit, batch=batch)}


def narrative(unit, batch, f):
    """{key: text}: what staff wrote, else the draft."""
    kept = stored(unit, batch)
    draft = drafts(f)
    return {key: (kept[key].text if key in kept else draft[key]) for key in KEYS}


class EditedMeanwhile(Exception):
    def __init__(self, keys):
        super().__init__(keys)
        self.keys = keys


def save_narrative(unit, batch, texts, versions, user, current=None):
    """Keep the texts that changed (from ``current``, the texts the form showed: kept or
    drafted); ``versions`` are those the editor started from ({key: version, 0 for a
    draft}). Raises :class:`EditedMeanwhile` naming the paragraphs someone else saved in
    between (nothing is saved then). Returns how many paragraphs were saved."""
    current = current or {}
    texts = {key: text for key, text in texts.items() if current.get(key) != text}
    with transaction.atomic():
        kept = {n.key: n for n in Narrative.objects.select_for_update().filter(unit=unit, batch=batch)}
        clashes = [
            key for key in texts
            if (kept[key].version if key in kept else 0) != versions.get(key, 0) and key in kept
        ]
        if clashes:
            raise EditedMeanwhile(clashes)
        changed = 0
        for key, text in texts.items():
            if key in kept:
                if kept[key].text == text:
                    continue
                kept[key].text = text
                kept[key].version += 1
                kept[key].updated_by = user
                kept[key].save()
            else:
                Narrative.objects.create(unit=unit, batch=batch, key=key, text=text, updated_by=user)
            changed += 1
        return changed


# --- the generated sentences --------------------------------------------------------------------


def _join(clauses, sep=","):
    return sep.join(c for c in clauses if c)


def supervision_sentence(f):
    where = scope_word(f.unit)
    first = _join([
        f"{where}共组建督导组{count(f['groups'])}个" if f["groups"] else "",
        f"开展抽查{count(f['spot_checks'])}次" if f["spot_checks"] else "",
        f"覆盖基层单位{count(f['units_checked'])}个" if f["units_checked"] else "",
    ])
    second = ""
    if f["units_explained"]:
        second = f"对{count(f['units_explained'])}个未按期完成整改任务的单位要求说明原因"
        if f["extensions_approved"]:
            second += f",其中{count(f['extensions_approved'])}项整改任务经批准延期"
    third = _join([
        f"督办催办{count(f['urges'])}次" if f["urges"] else "",
        f"对{count(f['accountability_units'])}个单位问责{count(f['accountability'])}起" if f["accountability"] else "",
    ])
    body = _join([first, second, third], ";")
    return f"据统计,{body}。" if body else ""


def coordination_sentence(f):
    if not f["coordination"]:
        return ""
    text = f"基层难以解决、需要上级部门协调的问题共{count(f['coordination'])}项"
    if f["coordination_resolved"]:
        text += f",已协调解决{count(f['coordination_resolved'])}项"
        if f["avg_coordination_days"] is not None:
            text += f",平均用时{money(f['avg_coordination_days'])}天"
    return text + "。"


def cross_batch_sentence(f):
    if not f["cross_batch"]:
        return ""
    text = f"两个批次互动查摆出、根源在另一批次单位的问题{count(f['cross_batch'])}个"
    if f["cross_batch_tasks"]:
        text += f",制定整改措施{count(f['cross_batch_tasks'])}项,已整改完成{count(f['cross_batch_closed'])}项"
    return text + "。"


def participation_sentence(f):
    if f["members_participated"] is None or not f["members_participated"]:
        return ""
    text = (
        f"活动中,{scope_word(f.unit)}{count(f['participating_units'])}个党组织的"
        f"{count(f['members_participated'])}名党员参加了教育活动"
    )
    if f["rate_participated"] is not None:
        text += f",参学率{percent(f['rate_participated'])}"
    return text + "。"


def look_back_sentence(f):
    if any(f[name] is None for name in ("makeup", "transformed", "handled")):
        return ""
    parts = []
    if f["makeup"]:
        parts.append(f"有关党组织安排{count(f['makeup'])}名党员参加了补课")
    if f["transformed"]:
        parts.append(f"使{count(f['transformed'])}名党员得到教育转化")
    if f["handled"]:
        parts.append(f"按照正常程序对{count(f['handled'])}名党员进行了组织处理")
    if not parts:
        return ""
    return "开展“五查五看”活动," + ",".join(parts) + "。"


SOURCES = (
    ("source_public", "群众意见"),
    ("source_self", "自查"),
    ("source_supervision", "督导发现"),
    ("source_above", "上级反馈"),
    ("source_cross_batch", "两批互动"),
)


def tasks_sentences(f):
    where = scope_word(f.unit)
    sentences = []
    if f["problems"]:
        sources = "、".join(f"{name}{count(f[key])}个" for key, name in SOURCES if f[key])
        sentences.append(f"{where}共查摆问题{count(f['problems'])}个({sources})")
    if f["tasks"]:
        terms = "、".join(
            f"{name}{count(f[key])}项"
            for key, name in (("immediate", "立行立改"), ("short", "限期整改"), ("long", "中长期整改"))
            if f[key]
        )
        sentences.append(f"制定整改措施{count(f['tasks'])}项,其中{terms}")
    first = ",".join(sentences) + "。" if sentences else ""
    if not f["tasks"]:
        return first
    second = f"截至{day(f.as_of)},已销号{count(f['closed'])}项"
    if f["rate_closed"] is not None:
        second += f",完成率{percent(f['rate_closed'])}"
    if f["rate_on_time"] is not None:
        second += f";按期完成率{percent(f['rate_on_time'])}"
    if f["overdue"]:
        second += f";超期未完成{count(f['overdue'])}项"
        if f["escalated"]:
            second += f",其中督办{count(f['escalated'])}项"
    by_batch = ";".join(
        f"{row['batch']}整改任务{count(row['tasks'])}项,已销号{count(row['closed'])}项"
        + (f",完成率{percent(row['rate_closed'])}" if row["rate_closed"] is not None else "")
        for row in f.batches
    ) if len(f.batches) > 1 else ""
    return first + second + "。" + (f"分批次看,{by_batch}。" if by_batch else "")


def organisation_sentences(f):
    sentences = []
    if f["funds"] is not None:
        sentences.append(f"各级财政预算列支{money(f['funds'])}万元基层党建工作经费,做到了专款专用。")
    if f["venues"] is not None:
        sentences.append(f"各级党组织共投入{money(f['venues'])}万元对社区、村级组织活动场所进行了新建、改建和扩建。")
    sent = [
        f"向农区选派了{count(f['instructors'])}名党建工作指导员" if f["instructors"] is not None else "",
        f"向非公有制企业选派了{count(f['liaisons'])}名党建工作联络员" if f["liaisons"] is not None else "",
        f"向社区选派了{count(f['counsellors'])}名先进性教育活动辅导员" if f["counsellors"] is not None else "",
    ]
    if any(sent):
        sentences.append("从后备干部和优秀机关干部中" + _join(sent) + "。")
    if f["applications"] is not None and f["new_members"] is not None:
        sentences.append(
            f"积极要求入党的人数明显增加,{count(f['applications'])}名非党群众向党组织递交了入党申请书,"
            f"新发展{count(f['new_members'])}名党员。"
        )
    elif f["applications"] is not None:
        sentences.append(f"{count(f['applications'])}名非党群众向党组织递交了入党申请书。")
    elif f["new_members"] is not None:
        sentences.append(f"新发展{count(f['new_members'])}名党员。")
    return "".join(sentences)


def satisfaction_sentence(f):
    if f["survey"] is None:
        return ""
    text = f"开展群众满意度测评{count(f['survey_rounds'])}轮,收回评价{count(f['survey_answers'])}份"
    if f["rate_satisfied"] is not None:
        text += f",总体满意率{percent(f['rate_satisfied'])}"
    parts = []
    if f["units_over_threshold"]:
        parts.append(f"{count(f['units_over_threshold'])}个单位满意率达到90%以上")
    if f["units_under_threshold"]:
        parts.append(f"{count(f['units_under_threshold'])}个单位低于90%,已责成重新整改")
    if parts:
        text += ";" + ",".join(parts)
    return text + "。"


# --- the document -------------------------------------------------------------------------------


def title(f):
    campaign = f.campaign.name if f.campaign else ""
    batch = f.batch.name if f.batch else ""
    return f"{f.unit.name}关于{campaign}{batch}整改工作情况的报告"


def appendix_title(f):
    return "各区、各部门整改任务完成情况表" if f.unit.kind == "city" else "各下级单位整改任务完成情况表"


def document(f, texts):
    """The report as sections of paragraphs: [{heading, items: [{lead, texts, chart}]}] plus
    the appendices. ``texts``: the narrative ({key: text})."""
    practices = []
    facts_after = {
        1: [supervision_sentence(f)],
        2: [coordination_sentence(f)],
        3: [cross_batch_sentence(f), participation_sentence(f), look_back_sentence(f)],
    }
    for n in range(1, PRACTICES + 1):
        practices.append({
            "lead": f"({cn_ordinal(n)}){texts[f'practice_{n}_heading'].rstrip('。')}。",
            "texts": [t for t in (texts[f"practice_{n}"], *facts_after[n]) if t],
        })
    results = [{
        "lead": "(一)整改任务落实情况。",
        "texts": [t for t in (tasks_sentences(f),) if t],
        "charts": [c for c in (completion_chart(f), progress_chart(f)) if c],
    }]
    organisation = organisation_sentences(f)
    if organisation:
        results.append({"lead": f"({cn_ordinal(len(results) + 1)})基层组织建设有了新面貌。", "texts": [organisation]})
    satisfaction = satisfaction_sentence(f)
    if satisfaction:
        results.append({"lead": f"({cn_ordinal(len(results) + 1)})群众满意度。", "texts": [satisfaction]})
    lessons = [
        {"lead": f"({cn_ordinal(n)}){texts[f'lesson_{n}_heading'].rstrip('。')}。", "texts": [texts[f"lesson_{n}"]]}
        for n in range(1, LESSONS + 1)
        if texts[f"lesson_{n}_heading"] or texts[f"lesson_{n}"]
    ]
    appendices = [appendix_title(f), "超期整改任务清单"]
    if f.surveys:
        appendices.append("满意度测评结果")
    return {
        "title": title(f),
        "issuer": f.unit.name,
        "date": day(f.as_of),
        "sections": [
            {"heading": "一、主要做法", "items": practices},
            {"heading": "二、工作成效", "items": results},
            {"heading": "三、几点体会", "intro": texts["lessons_intro"], "items": lessons},
        ],
        "appendices": appendices,
        "districts": [
            {**row, "rate_closed": _pct(row["rate_closed"]), "rate_on_time": _pct(row["rate_on_time"])}
            for row in f.districts
        ],
        "overdue": f.overdue,
        "surveys": [{**row, "rate": _pct(row["rate"])} for row in f.surveys],
    }


def _pct(value):
    return percent(value) if value is not None else "—"


def progress_chart(f):
    if len(f.closed_by_week) < 2:
        return None
    return charts.line_chart(
        "整改任务累计销号情况",
        [day for day, _n in f.closed_by_week],
        [("累计销号(项)", charts.COLOURS["blue"], [n for _day, n in f.closed_by_week])],
        date_heading="日期",
    )


def completion_chart(f):
    if len(f.districts) < 2:
        return None
    return charts.bar_chart(
        "各区、各部门整改任务完成率" if f.unit.kind == "city" else "各下级单位整改任务完成率",
        [(row["unit"], row["rate_closed"] or 0) for row in f.districts],
        value_label="完成率",
        percent=True,
    )
