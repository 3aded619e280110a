"""Quiz macros: a plain, labelled, no-JavaScript form; the result and summary partials."""

import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader

import lms.quizzes
from lms.accounts.models import Role
from lms.authoring.forms import EssayMarkForm
from lms.quizzes import services

TEMPLATES = Path(lms.quizzes.__file__).parent / "templates"

BANK = """\
::intro::Answer every question.

::mc::Which body reviews every state?{=UPR working group ~Security Council ~General Assembly}

::mr::Tick the treaty bodies {~%50%CEDAW ~%50%CRC ~%-100%ECOSOC}

::tf::The UPR is a peer review.{T}

::sa::Which city hosts the Council?{=Geneva#Yes, the Palais des Nations.}

::num::In which year was the UDHR adopted?{#1948}

::match::Match the body to its kind {=UPR -> peer review =CEDAW -> treaty body =ICJ -> court}

::mw::The Council meets in {=Geneva} three times a year.

::essay::Outline your advocacy plan.{}
"""
BANK_AR = """\
::intro::أجب عن كل سؤال.

::mc::أي هيئة تستعرض كل الدول؟{=الفريق العامل ~مجلس الأمن ~الجمعية العامة}

::mr::اختر هيئات المعاهدات {~%50%سيداو ~%50%اتفاقية حقوق الطفل ~%-100%المجلس الاقتصادي}

::tf::الاستعراض الدوري استعراض من الأقران.{T}

::sa::أي مدينة تستضيف المجلس؟{=جنيف}

::num::في أي عام اعتمد الإعلان العالمي؟{#1948}

::match::طابق الهيئة بنوعها {=الاستعراض -> أقران =سيداو -> معاهدة =المحكمة -> محكمة}

::mw::يجتمع المجلس في {=جنيف} ثلاث مرات في السنة.

::essay::اكتب خطتك للمناصرة.{}
"""


@pytest.fixture
def quiz(db):
    """A module quiz with every question type, in English and Arabic."""
    return services.replace_bank(
        None,
        kind="module",
        activity_id=f"https://tamkeen.test/xapi/{uuid.uuid4()}",
        settings={"pass_mark": 50},
        banks={"en": BANK, "ar": BANK_AR},
        default_locale="en",
    )


def render(app, source, **context):
    """Render a template string that imports the quizzes macros, inside a request."""
    env = app.jinja_env.overlay(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)), app.jinja_env.loader]))
    with app.test_request_context("/"):
        return env.from_string(source).render(**context)


def form_html(app, view):
    return render(
        app,
        '{% from "quizzes/_attempt.html" import attempt_form %}{{ attempt_form(view, "/go") }}',
        view=view,
    )


class Page(HTMLParser):
    """The elements of a page as (tag, attributes), in order."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def all(self, tag, **attrs):
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def controls(page):
    """Return the form controls a learner fills in (no hidden fields)."""
    return [
        (tag, attrs)
        for tag, attrs in page.elements
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden"
    ]


def test_the_form_is_plain_html_with_the_right_control_for_each_type(app, quiz, make_user):
    view = services.attempt_view(services.start_attempt(make_user(), quiz, "en"))
    html = form_html(app, view)
    page = Page(html)
    names = {q.qid: q.name for q in view.questions}
    assert page.all("form")[0]["method"] == "post" and page.all("form")[0]["action"] == "/go"
    assert "<script" not in html
    assert len(page.all("input", type="radio", name=names["mc"])) == 3
    assert len(page.all("input", type="radio", name=names["tf"])) == 2
    assert len(page.all("input", type="checkbox", name=names["mr"])) == 3
    assert page.all("input", type="text", name=names["num"])[0]["inputmode"] == "decimal"
    assert "inputmode" not in page.all("input", type="text", name=names["sa"])[0]
    assert (
        len([a for t, a in page.elements if t == "select" and a["name"].startswith(names["match"] + "-")])
        == 3
    )
    assert page.all("textarea", name=names["essay"])
    assert page.all("input", type="text", name=names["mw"])


def test_every_control_has_a_label_and_text_fields_have_dir_auto(app, quiz, make_user):
    view = services.attempt_view(services.start_attempt(make_user(), quiz, "en"))
    page = Page(form_html(app, view))
    labelled = {a["for"] for a in page.all("label") if "for" in a}
    for tag, attrs in controls(page):
        assert attrs.get("id") in labelled, (tag, attrs)
        if tag == "textarea" or attrs.get("type") == "text":
            assert attrs.get("dir") == "auto", attrs
    ids = [a["id"] for _t, a in page.elements if "id" in a]
    assert len(ids) == len(set(ids))


def test_the_form_carries_a_csrf_token(app, quiz, make_user):
    view = services.attempt_view(services.start_attempt(make_user(), quiz, "en"))
    token = Page(form_html(app, view)).all("input", type="hidden", name="csrf_token")
    assert token and len(token[0]["value"]) > 20


def test_an_arabic_attempt_is_right_to_left(app, quiz, make_user):
    view = services.attempt_view(services.start_attempt(make_user(), quiz, "ar"))
    html = form_html(app, view)
    container = Page(html).all("div", **{"class": "quiz-questions"})[0]
    assert (container["lang"], container["dir"]) == ("ar", "rtl")
    assert "جنيف" not in html  # a short answer is typed, never shown
    assert "الفريق العامل" in html


def test_a_missing_word_box_sits_inside_its_sentence(app, quiz, make_user):
    view = services.attempt_view(services.start_attempt(make_user(), quiz, "en"))
    mw = next(q for q in view.questions if q.qid == "mw")
    html = form_html(app, view)
    sentence = re.search(r'class="quiz-text quiz-missing-word".*?</div>', html, re.S).group(0)
    assert sentence.index("The Council meets in") < sentence.index(f'name="{mw.name}"')
    assert sentence.index(f'name="{mw.name}"') < sentence.index("three times a year.")


def submitted(user, quiz, locale="en"):
    attempt = services.start_attempt(user, quiz, locale)
    view = {q.qid: q for q in services.attempt_view(attempt).questions}
    form = {view["sa"].name: "geneva", view["tf"].name: "false", view["essay"].name: "Map the actors."}
    return services.submit_attempt(user, attempt, form)


def result_html(app, attempt):
    return render(
        app,
        '{% from "quizzes/_result.html" import attempt_result %}{{ attempt_result(view) }}',
        view=services.result_view(attempt, "en"),
    )


def test_the_result_shows_each_question_with_its_feedback(app, quiz, make_user):
    html = result_html(app, submitted(make_user(), quiz))
    assert html.count('class="quiz-result-question') == 8
    assert "Yes, the Palais des Nations." in html
    assert "Waiting for a trainer to mark it" in html
    assert "Map the actors." in html
    assert "UPR working group" in html  # the correct answer of a question left unanswered


def test_the_result_shows_only_the_score_when_feedback_is_never(app, quiz, make_user):
    services.replace_bank(
        quiz,
        kind="module",
        activity_id=quiz.activity_id,
        settings={**quiz.settings, "feedback": "never"},
        banks={"en": BANK},
        default_locale="en",
    )
    html = result_html(app, submitted(make_user(), quiz))
    assert "quiz-result-question" not in html and "Palais" not in html
    assert "Your score:" in html


def test_an_essay_can_be_marked_and_the_summary_follows(app, quiz, make_user, db):
    learner, trainer = make_user(), make_user(role=Role.TRAINER)
    attempt = submitted(learner, quiz)
    essay = services.pending_essays(quiz).items[0]
    with app.test_request_context("/"):
        form = EssayMarkForm(meta={"csrf": False})  # the form the essay page passes
        html = render(
            app,
            '{% from "quizzes/_marking.html" import essay_marking %}{{ essay_marking(essay, form, "/mark") }}',
            essay=essay,
            form=form,
        )
    assert "Map the actors." in html and 'name="mark"' in html
    services.mark_essay(trainer, services.get_response(essay.response_id), 1.0, "Clear.")
    db.session.refresh(attempt)
    summary = render(
        app,
        '{% from "quizzes/_summary.html" import quiz_summary, attempt_list %}'
        "{{ quiz_summary(result) }}{{ attempt_list(history) }}",
        result=services.best_result(learner, quiz),
        history=services.attempt_history(learner, quiz),
    )
    assert "Score: 25%" in summary and "Not passed yet" in summary


def test_the_assessment_summary_shows_both_scores_and_the_gain(app, make_user, db):
    assessment = services.replace_bank(
        None,
        kind="assessment",
        activity_id=f"https://tamkeen.test/xapi/{uuid.uuid4()}",
        settings={},
        banks={"en": "::a::One {T}\n\n::b::Two {T}\n"},
        default_locale="en",
    )
    user = make_user()
    for phase, answers in (("pre", {"q1": "true"}), ("post", {"q1": "true", "q2": "true"})):
        attempt = services.start_attempt(user, assessment, "en", phase=phase)
        services.submit_attempt(user, attempt, answers)
    html = render(
        app,
        '{% from "quizzes/_summary.html" import assessment_summary %}{{ assessment_summary(scores) }}',
        scores=services.assessment_scores(user, assessment),
    )
    assert "50%" in html and "100%" in html and "+50 points" in html


_JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
_TAG = re.compile(r"<[^>]*>")


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("quizzes/*.html")), ids=lambda p: p.name)
def test_every_visible_string_is_translatable(path):
    text = path.read_text(encoding="utf-8")
    # Text inside {% trans %} blocks is extracted for translation.
    text = re.sub(r"{%-? trans.*?endtrans -?%}", "", text, flags=re.S)
    leftover = _TAG.sub(" ", _JINJA.sub(" ", text))
    words = [w for w in leftover.split() if any(ch.isalpha() for ch in w)]
    assert words == [], words
