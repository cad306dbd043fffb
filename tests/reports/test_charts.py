"""The server-rendered SVG charts: valid SVG, Chinese labels as text, figures table equal to the data."""

import datetime
import xml.etree.ElementTree as ET

from django.template.loader import render_to_string

from reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def texts(chart):
    root = ET.fromstring(str(chart.svg))
    assert root.tag == SVG + "svg"
    return [el.text for el in root.iter(SVG + "text")]


def test_bar_chart_is_valid_svg_with_chinese_labels_and_its_figures():
    chart = charts.bar_chart(
        "超期任务排名", [("乌达区", 12), ("海勃湾区", 3), ("中共乌海市民政局党组委员会", 0)], value_label="超期任务"
    )
    labels = texts(chart)
    assert "超期任务排名" in labels
    assert "乌达区" in labels and "12" in labels
    # A long name is cut in the picture, whole in the table.
    assert "中共乌海市民政局党…" in labels
    assert chart.columns == ("", "超期任务")
    assert chart.table() == [("乌达区", "12"), ("海勃湾区", "3"), ("中共乌海市民政局党组委员会", "0")]
    root = ET.fromstring(str(chart.svg))
    widths = [float(r.get("width")) for r in root.iter(SVG + "rect")]
    assert widths[0] > widths[1] > widths[2] == 0


def test_stacked_bar_chart_splits_each_unit_by_series():
    series = [("yellow", "预警", charts.COLOURS["yellow"]), ("red", "超期", charts.COLOURS["red"])]
    chart = charts.stacked_bar_chart("各单位预警", [("乌达区", {"yellow": 2, "red": 5})], series=series)
    labels = texts(chart)
    assert {"预警", "超期", "乌达区", "7"} <= set(labels)
    assert chart.rows == (("乌达区", 2, 5),)


def test_line_chart_rates_and_gaps():
    days = [datetime.date(2026, 11, d) for d in (1, 2, 3)]
    chart = charts.line_chart("完成率", days, [("完成率", charts.COLOURS["none"], [10.0, None, 55.5])], percent=True)
    labels = texts(chart)
    assert "11月1日" in labels and "11月3日" in labels
    assert chart.table() == [("11月1日", "10.0%"), ("11月2日", "—"), ("11月3日", "55.5%")]


def test_labels_are_escaped():
    chart = charts.bar_chart("<script>", [("<b>&", 1)], value_label="x")
    assert "<script>" not in str(chart.svg) and "&lt;b&gt;&amp;" in str(chart.svg)
    ET.fromstring(str(chart.svg))


def test_template_prints_the_figures_table():
    chart = charts.bar_chart("通报", [("乌达区", 4)], value_label="超期任务", label_heading="单位")
    html = render_to_string("reports/_chart.html", {"chart": chart})
    assert "<svg" in html and '<th scope="row">乌达区</th><td>4</td>' in html and "visually-hidden" in html
