"""The Chinese catalogue is complete, current and used.

Chinese is the default language: an English msgid left untranslated shows
English to every user. These tests fail when locale/zh_Hans has an empty or
fuzzy entry, when the code has a string the catalogue lacks (or the catalogue
keeps one the code dropped), and when the pages do not switch language.
"""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# The options of the documented command, `manage.py makemessages -l zh_Hans ...`.
MAKEMESSAGES_OPTIONS = ["-l", "zh_Hans", "--ignore=.venv", "--ignore=var", "--ignore=tests", "--no-location", "--no-obsolete"]


# --- a small .po reader (polib is not a dependency) ---------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict = field(default_factory=dict)  # {0: "..."}; plural entries {0: ..., 1: ...}
    flags: set = field(default_factory=set)
    comments: list = field(default_factory=list)  # "#" lines other than flags, kept verbatim
    obsolete: bool = False

    @property
    def key(self):
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def is_header(self):
        return self.msgid == "" and self.msgctxt is None

    @property
    def is_fuzzy(self):
        return "fuzzy" in self.flags

    @property
    def is_untranslated(self):
        return not self.msgstr or any(value == "" for value in self.msgstr.values())


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(quoted, where):
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise ValueError(f"{where}: expected a quoted string, got {quoted!r}")
    body, out, i = quoted[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == '"':
            raise ValueError(f"{where}: unescaped quote in {quoted!r}")
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt == "x":
            digits = re.match(r"[0-9a-fA-F]+", body[i + 2 :]).group()
            out.append(chr(int(digits, 16)))
            i += 2 + len(digits)
        elif nxt.isdigit():
            digits = re.match(r"[0-7]{1,3}", body[i + 1 :]).group()
            out.append(chr(int(digits, 8)))
            i += 1 + len(digits)
        else:
            raise ValueError(f"{where}: unknown escape \\{nxt} in {quoted!r}")
    return "".join(out)


def parse_po(text, name="django.po"):
    """Entries of a .po file's text, the header included, in file order."""
    entries, current, last = [], Entry(), None  # `last`: the field a continuation line extends

    def finish():
        nonlocal current, last
        if current.msgid or current.msgstr or current.msgctxt is not None:
            entries.append(current)
        current, last = Entry(), None

    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{name}:{number}"
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            current.obsolete = True
            line = line[2:].strip()
            if not line or line.startswith("#"):
                continue
        elif line.startswith("#"):
            if current.msgstr:  # a comment after a complete entry starts the next one
                finish()
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            else:
                current.comments.append(raw)
            continue
        if line.startswith('"'):
            if last is None:
                raise ValueError(f"{where}: a string continues nothing")
            kind, index = last
            value = _unquote(line, where)
            if kind == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, kind, getattr(current, kind) + value)
            continue
        match = _KEYWORD.match(line)
        if not match:
            raise ValueError(f"{where}: cannot read {raw!r}")
        keyword, index, quoted = match.groups()
        value = _unquote(quoted, where)
        if keyword in ("msgctxt", "msgid") and current.msgstr:
            obsolete = current.obsolete
            finish()
            current.obsolete = obsolete
        if keyword.startswith("msgstr"):
            position = int(index) if index is not None else 0
            current.msgstr[position] = value
            last = ("msgstr", position)
        else:
            setattr(current, keyword, value)
            last = (keyword, None)
    finish()
    return entries


def read_po(path):
    return parse_po(Path(path).read_text(encoding="utf-8"), name=str(path))


def header_fields(entries):
    header = next(entry for entry in entries if entry.is_header)
    lines = header.msgstr.get(0, "").splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line), header


def problems_in(entries):
    """Messages naming each entry that is fuzzy or has an empty translation."""
    found = []
    for entry in entries:
        if entry.obsolete:
            continue
        if entry.is_header:
            if entry.is_fuzzy:
                found.append("the header is marked fuzzy")
            continue
        label = repr(entry.msgid) if entry.msgctxt is None else f"{entry.msgid!r} (context {entry.msgctxt!r})"
        if entry.is_fuzzy:
            found.append(f"fuzzy: {label}")
        if entry.is_untranslated:
            found.append(f"untranslated: {label}")
    return found


_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def placeholders(text):
    return sorted(m.group(0) for m in _PLACEHOLDER.finditer(text) if m.group(0) != "%%")


def placeholder_mismatches(entries):
    """Entries whose translation does not carry exactly the source's placeholders."""
    found = []
    for entry in entries:
        if entry.obsolete or entry.is_header or "python-format" not in entry.flags:
            continue
        # Chinese has one plural form: msgstr[0] serves every count, so it follows msgid_plural.
        wanted = placeholders(entry.msgid_plural if entry.msgid_plural is not None else entry.msgid)
        for index, text in sorted(entry.msgstr.items()):
            if text and placeholders(text) != wanted:
                found.append(f"{entry.msgid!r}: msgstr[{index}] has {placeholders(text)}, the source has {wanted}")
    return found


def msgfmt_statistics(path):
    """(translated, fuzzy, untranslated) as msgfmt counts them; msgfmt --check also fails on bad formats."""
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt (Debian package gettext) is missing; `make setup` installs it"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", os.devnull, str(path)],
        capture_output=True,
        text=True,
        env=dict(os.environ, LC_ALL="C", LANGUAGE=""),
    )
    assert result.returncode == 0, f"msgfmt --check refused {path}:\n{result.stderr}"
    counts = {}
    for label in ("translated message", "fuzzy translation", "untranslated message"):
        match = re.search(rf"(\d+) {label}", result.stderr)
        counts[label] = int(match.group(1)) if match else 0
    return counts["translated message"], counts["fuzzy translation"], counts["untranslated message"]


# --- the checker itself can fail ---------------------------------------------

BROKEN_PO = r'''# a catalogue with one of each fault
msgid ""
msgstr ""
"Language: zh_Hans\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=1; plural=0;\n"

msgid "Units"
msgstr "单位"

msgid ""
"A long message "
"over two lines"
msgstr ""

#, fuzzy
#| msgid "Old text"
msgid "Closed"
msgstr "已销号"

#, python-format
msgid "%(counter)s unit below"
msgid_plural "%(counter)s units below"
msgstr[0] ""

msgctxt "verb"
msgid "Return"
msgstr "退回"

msgid "Escaped \"quote\"\n"
msgstr "转义“引号”\n"

#~ msgid "Gone"
#~ msgstr ""
'''


def test_the_checker_names_every_untranslated_and_fuzzy_entry(tmp_path):
    entries = parse_po(BROKEN_PO)

    assert problems_in(entries) == [
        "untranslated: 'A long message over two lines'",
        "fuzzy: 'Closed'",
        "untranslated: '%(counter)s unit below'",
    ]
    by_id = {entry.msgid: entry for entry in entries}
    assert by_id["Return"].msgctxt == "verb"
    assert by_id['Escaped "quote"\n'].msgstr == {0: "转义“引号”\n"}
    assert by_id["Gone"].obsolete
    path = tmp_path / "broken.po"
    path.write_text(BROKEN_PO, encoding="utf-8")
    assert msgfmt_statistics(path)[1:] == (1, 2)


def test_the_checker_notices_a_lost_or_foreign_placeholder():
    entries = parse_po(
        '#, python-format\nmsgid "Welcome, %(name)s"\nmsgstr "欢迎您"\n\n'
        '#, python-format\nmsgid "Correct this problem."\nmsgid_plural "Correct these %(counter)s problems."\n'
        'msgstr[0] "请改正以下 %(count)s 个问题。"\n'
    )

    assert len(placeholder_mismatches(entries)) == 2


# --- the catalogue -------------------------------------------------------------


def test_the_zh_hans_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = read_po(PO_PATH)
    found = problems_in(entries)

    assert not found, f"{len(found)} entries of {PO_PATH.relative_to(ROOT)} need a translator:\n" + "\n".join(found)
    translated, fuzzy, untranslated = msgfmt_statistics(PO_PATH)
    assert (fuzzy, untranslated) == (0, 0)
    assert translated == sum(1 for entry in entries if not entry.obsolete and not entry.is_header)


def test_the_zh_hans_catalogue_keeps_every_placeholder():
    found = placeholder_mismatches(read_po(PO_PATH))

    assert not found, "\n".join(found)


def test_the_zh_hans_catalogue_declares_its_language_and_one_plural_form():
    fields, header = header_fields(read_po(PO_PATH))

    assert fields["Language"].strip() == "zh_Hans"
    assert fields["Plural-Forms"].strip() == "nplurals=1; plural=0;"
    assert "charset=UTF-8" in fields["Content-Type"]
    assert not header.is_fuzzy


def _sources_copy(destination):
    """The files makemessages reads (.py, .html, .txt), without locale/, .venv, var, tests or dot folders."""
    skipped = {".venv", "var", "tests", "locale", "__pycache__", "node_modules"}

    def ignore(folder, names):
        return [
            name
            for name in names
            if name in skipped
            or name.startswith(".")
            or ((Path(folder) / name).is_file() and Path(name).suffix not in {".py", ".html", ".txt"})
        ]

    shutil.copytree(ROOT, destination, ignore=ignore)


@pytest.mark.slow
def test_the_zh_hans_catalogue_has_exactly_the_strings_of_the_code(tmp_path):
    """makemessages run on a copy of the sources yields the catalogue's msgids, no more, no fewer."""
    sources = tmp_path / "sources"
    _sources_copy(sources)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_OPTIONS],
        cwd=sources,
        capture_output=True,
        text=True,
        env=dict(os.environ, VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="config.settings"),
    )
    assert result.returncode == 0, result.stderr
    fresh = {entry.key for entry in read_po(sources / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po") if not entry.is_header}
    kept = {entry.key for entry in read_po(PO_PATH) if not entry.is_header and not entry.obsolete}

    missing = sorted(fresh - kept, key=str)
    stale = sorted(kept - fresh, key=str)
    command = "manage.py makemessages " + " ".join(MAKEMESSAGES_OPTIONS)
    assert not missing, f"the code has strings the catalogue lacks; run `{command}` and translate:\n" + "\n".join(
        map(repr, missing)
    )
    assert not stale, f"the catalogue keeps strings the code no longer has; run `{command}`:\n" + "\n".join(map(repr, stale))


# --- the pages speak the language chosen ---------------------------------------


@pytest.fixture
def compiled_catalogue(tmp_path):
    """The .po as it is now, compiled into a separate folder, so a stale .mo cannot pass or fail the test."""
    folder = tmp_path / "locale"
    target = folder / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    subprocess.run(["msgfmt", "--check", "-o", str(target / "django.mo"), str(PO_PATH)], check=True)
    with override_settings(LOCALE_PATHS=[folder]):
        yield folder


def test_the_home_page_is_chinese_by_default_and_english_after_switching(client, staff_above, compiled_catalogue):
    client.force_login(staff_above)

    chinese = client.get("/")
    assert chinese.status_code == 200
    page = chinese.content.decode()
    assert '<html lang="zh-Hans">' in page
    for word in ("单位", "首页", "退出登录"):
        assert word in page
    assert ">Units<" not in page

    switched = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302

    english = client.get("/").content.decode()
    assert '<html lang="en">' in english
    for word in (">Units<", ">Home<", "Log out"):
        assert word in english
    assert "单位</a>" not in english


def test_the_login_page_is_chinese_for_a_visitor(client, compiled_catalogue):
    page = client.get(reverse(settings.LOGIN_URL)).content.decode()

    assert "登录" in page
    assert "Username" not in page


def test_failed_reads_by_its_sense_a_failed_spot_check_is_not_a_failed_delivery(compiled_catalogue):
    """"Failed" is three things: a unit that fails a spot check (不合格), a report that could not
    be made (生成失败), a message that could not be sent (发送失败)."""
    from django.utils import translation

    from reports.models import RunStatus
    from rectification.forms.supervision import SpotCheckFindingsForm
    from rectification.models.robots import RobotMessage

    with translation.override("zh-hans"):
        assert str(dict(SpotCheckFindingsForm.UNIT_RESULTS)[SpotCheckFindingsForm.FAILED]) == "不合格"
        assert str(RunStatus.FAILED.label) == "生成失败"
        assert str(RobotMessage.Status.FAILED.label) == "发送失败"
