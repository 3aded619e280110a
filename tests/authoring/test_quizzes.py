"""Quiz banks in the editor: a form per question type, translations, GIFT and Aiken imports."""

import io

import pytest

from lms.quizzes import gift
from tests.authoring.test_editing import base_of, draft_file

QUIZ = "/author/sample-course/modules/council-and-upr/quiz"
EN = "01-council-and-upr/quiz.en.gift"
AR = "01-council-and-upr/quiz.ar.gift"


def bank(db, path="01-council-and-upr/quiz.en.gift"):
    """Return the draft's questions of a bank, by id."""
    return {q.id: q for q in gift.parse(draft_file(db, "sample-course", path).decode())}


def rows(prefix, values):
    """Form fields for answer rows: rows("answers", [{"text": ..., "percent": ...}])."""
    data = {}
    for n, row in enumerate(values):
        for key, value in row.items():
            data[f"{prefix}-{n}-{key}"] = value
    return data


CASES = {
    "multichoice": (
        rows(
            "answers",
            [{"text": "Geneva", "percent": "100", "feedback": "Yes"}, {"text": "Paris", "percent": "0"}],
        ),
        lambda q: (
            [(a.text, a.fraction, a.feedback) for a in q.answers]
            == [("Geneva", 1.0, "Yes"), ("Paris", 0.0, "")]
        ),
    ),
    "multiresponse": (
        rows(
            "answers",
            [
                {"text": "CEDAW", "percent": "50"},
                {"text": "CRC", "percent": "50"},
                {"text": "ECOSOC", "percent": "-100"},
            ],
        ),
        lambda q: [a.fraction for a in q.answers] == [0.5, 0.5, -1.0],
    ),
    "truefalse": (
        {"correct": "false", "feedback_false": "Right: it is not."},
        lambda q: q.truefalse_answer is False,
    ),
    "shortanswer": (
        rows("answers", [{"text": "Geneva"}, {"text": "Genève", "percent": "50"}]),
        lambda q: len(q.answers) == 2,
    ),
    "numerical": (
        rows("answers", [{"text": "47", "tolerance": "0"}, {"text": "*", "percent": "0", "feedback": "No"}]),
        lambda q: q.answers[0].value == 47 and q.answers[1].value is None,
    ),
    "matching": (
        rows(
            "pairs",
            [
                {"left": "UPR", "right": "peer review"},
                {"left": "CEDAW", "right": "treaty body"},
                {"left": "", "right": "court"},
            ],
        ),
        lambda q: (
            [(p.left, p.right) for p in q.pairs]
            == [("UPR", "peer review"), ("CEDAW", "treaty body"), ("", "court")]
        ),
    ),
    "essay": ({}, lambda q: q.answers == ()),
    "description": ({}, lambda q: q.qtype == "description"),
}


@pytest.mark.parametrize("qtype", list(CASES))
def test_each_question_type_has_a_form_that_writes_gift(client, db, sign_in, sample, qtype):
    sign_in("owner")
    extra, check = CASES[qtype]
    url = f"{QUIZ}/en/question?qtype={qtype}"
    assert client.get(url).status_code == 200
    data = {
        "qid": f"new-{qtype}",
        "text": f"A {qtype} question?",
        "text_format": "moodle",
        "base": base_of(client, url),
        **extra,
    }
    response = client.post_form(url, data)
    assert response.status_code == 303, response.get_data(as_text=True)
    question = bank(db)[f"new-{qtype}"]
    assert question.qtype == qtype and check(question)
    # The other questions and the file's layout are untouched.
    before = draft_file(db, "sample-course", EN).decode()
    assert "::m1-q01:: How many Member States sit on the Human Rights Council? {" in before


def test_a_wrong_form_shows_the_reason_and_saves_nothing(client, db, sign_in, sample):
    sign_in("owner")
    url = f"{QUIZ}/en/question?qtype=multichoice"
    data = {
        "qid": "bad",
        "text": "Q?",
        "text_format": "moodle",
        "base": base_of(client, url),
        **rows("answers", [{"text": "A", "percent": "50"}, {"text": "B", "percent": "0"}]),
    }
    response = client.post_form(url, data)
    assert response.status_code == 200
    assert "Exactly one answer gets 100 percent" in response.get_data(as_text=True)
    assert draft_file(db, "sample-course", EN) is None


def test_editing_a_question_keeps_its_id_and_the_rest_of_the_file(client, db, sign_in, sample):
    sign_in("owner")
    url = f"{QUIZ}/en/question?qid=m1-q02"
    page = client.get(url).get_data(as_text=True)
    assert "The Universal Periodic Review examines" in page
    response = client.post_form(
        url,
        {
            "qid": "m1-q02",
            "text": "The UPR reviews every Member State.",
            "text_format": "moodle",
            "correct": "true",
            "base": base_of(client, url),
        },
    )
    assert response.status_code == 303
    questions = bank(db)
    assert questions["m1-q02"].text == "The UPR reviews every Member State."
    assert list(questions) == list(bank_of_published(sample, EN))


def bank_of_published(course, path):
    """Return the published course's questions of a bank, by id."""
    from lms.courses import services as course_services

    return {q.id: q for q in gift.parse(course_services.course_files(course)[path].decode())}


def test_a_translation_is_edited_beside_its_source_and_goes_stale(client, db, sign_in, sample):
    sign_in("owner")
    page = client.get(f"{QUIZ}/ar").get_data(as_text=True)
    assert "How many Member States" in page  # the source beside the translation
    url = f"{QUIZ}/ar/question?qid=m1-q01"
    data = {
        "qid": "m1-q01",
        "text": "كم عدد أعضاء المجلس؟",
        "text_format": "moodle",
        "base": base_of(client, url),
        **rows(
            "answers",
            [{"text": t, "percent": p} for t, p in (("47", "100"), ("15", "0"), ("54", "0"), ("193", "0"))],
        ),
    }
    assert client.post_form(url, data).status_code == 303
    assert bank(db, AR)["m1-q01"].text == "كم عدد أعضاء المجلس؟"
    assert "Stale" not in client.get(f"{QUIZ}/ar").get_data(as_text=True)

    # The source question changes: its translation is now stale, and only that one.
    url = f"{QUIZ}/en/question?qid=m1-q01"
    page = client.get(url).get_data(as_text=True)
    assert page
    data = {
        "qid": "m1-q01",
        "text": "How many States sit on the Council?",
        "text_format": "moodle",
        "base": base_of(client, url),
        **rows("answers", [{"text": "47", "percent": "100"}, {"text": "15", "percent": "0"}]),
    }
    assert client.post_form(url, data).status_code == 303
    table = client.get("/author/sample-course/translations").get_data(as_text=True)
    assert "Stale" in table and "(1 question)" in table
    assert client.get(f"{QUIZ}/ar").get_data(as_text=True).count("Stale: the source question changed") == 1


def test_deleting_a_question_removes_it_in_every_language(client, db, sign_in, sample):
    sign_in("owner")
    client.post_form(f"{QUIZ}/en/questions/m1-q03/delete", {})
    assert draft_file(db, "sample-course", EN) is None  # not confirmed: nothing happened
    assert client.post_form(f"{QUIZ}/en/questions/m1-q03/delete", {"confirm": "y"}).status_code == 303
    assert "m1-q03" not in bank(db) and "m1-q03" not in bank(db, AR)
    assert "m1-q01" in bank(db) and "m1-q01" in bank(db, AR)
    assert client.post_form(f"{QUIZ}/en/questions/no-such-id/delete", {"confirm": "y"}).status_code == 404


def test_pasted_gift_with_errors_is_shown_by_line_and_not_saved(client, db, sign_in, sample):
    sign_in("owner")
    text = "::ok:: Fine {=a ~b}\n\n::bad:: Broken {=a ~b\n\n::bad2:: Weight {~%abc%x =y}\n"
    response = client.post_form(f"{QUIZ}/en/source", {"kind": "gift", "mode": "append", "text": text})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "line 3" in html and "line 5" in html
    assert draft_file(db, "sample-course", EN) is None


def test_pasted_gift_is_appended_with_fresh_ids(client, db, sign_in, sample):
    sign_in("owner")
    text = "::m1-q01:: Same id as an existing one {=a ~b}\n\nNo id at all {T}\n"
    assert (
        client.post_form(f"{QUIZ}/en/source", {"kind": "gift", "mode": "append", "text": text}).status_code
        == 303
    )
    questions = bank(db)
    assert "q-1" in questions and "q-2" in questions
    assert questions["m1-q01"].text.startswith("How many")


def test_an_aiken_file_is_uploaded_as_multiple_choice(client, db, sign_in, sample):
    sign_in("owner")
    aiken = "Which body reviews every UN member state?\nA. The Security Council\nB) The UPR working group\nANSWER: B\n"
    response = client.post_form(
        "/author/sample-course/assessment/en/source",
        {"kind": "aiken", "mode": "replace", "text": "", "file": (io.BytesIO(aiken.encode()), "bank.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    questions = {q.id: q for q in gift.parse(draft_file(db, "sample-course", "assessment.en.gift").decode())}
    assert list(questions) == ["aiken-1"]
    assert questions["aiken-1"].answers[1].fraction == 1.0


def test_a_bad_aiken_file_names_its_line(client, db, sign_in, sample):
    sign_in("owner")
    aiken = "Question one?\nA. Yes\nB. No\nANSWER: C\n"
    response = client.post_form(f"{QUIZ}/en/source", {"kind": "aiken", "mode": "append", "text": aiken})
    assert "line 4" in response.get_data(as_text=True)
    assert draft_file(db, "sample-course", EN) is None


def test_new_questions_are_added_in_the_main_language_only(client, sign_in, sample):
    sign_in("owner")
    assert client.get(f"{QUIZ}/ar/question?qtype=essay").status_code == 404
    assert client.get(f"{QUIZ}/en/question?qtype=nonsense").status_code == 404
    assert client.get(f"{QUIZ}/en/question?qid=no-such-id").status_code == 404
    assert client.get(f"{QUIZ}/fr").status_code == 404  # not a language of the course


def test_the_translation_form_shows_the_answer_key_read_only_and_keeps_it(client, db, sign_in, sample):
    sign_in("owner")
    url = f"{QUIZ}/ar/question?qid=m1-q01"
    page = client.get(url).get_data(as_text=True)
    assert "translators translate words, not scores" in page
    assert page.count("readonly") == 4  # one percentage per choice, and no extra rows
    # A translator who moves the 100% (by hand-editing the form) changes words, not scores.
    data = {
        "qid": "m1-q01",
        "text": "كم دولة في المجلس؟",
        "text_format": "moodle",
        "base": base_of(client, url),
        **rows(
            "answers",
            [{"text": t, "percent": p} for t, p in (("47", "0"), ("15", "100"), ("54", "0"), ("193", "0"))],
        ),
    }
    assert client.post_form(url, data).status_code == 303
    saved = bank(db, AR)["m1-q01"]
    assert saved.text == "كم دولة في المجلس؟"
    assert [a.fraction for a in saved.answers] == [a.fraction for a in bank(db, EN)["m1-q01"].answers]

    true_false = f"{QUIZ}/ar/question?qid=m1-q02"
    assert "disabled" in client.get(true_false).get_data(as_text=True)
    data = {
        "qid": "m1-q02",
        "text": "نص",
        "text_format": "moodle",
        "correct": "false",
        "base": base_of(client, true_false),
    }
    assert client.post_form(true_false, data).status_code == 303
    assert bank(db, AR)["m1-q02"].truefalse_answer is True


def test_the_translation_form_refuses_a_choice_fewer_with_a_located_message(client, db, sign_in, sample):
    sign_in("owner")
    url = f"{QUIZ}/ar/question?qid=m1-q01"
    before = draft_file(db, "sample-course", AR)
    data = {
        "qid": "m1-q01",
        "text": "كم؟",
        "text_format": "moodle",
        "base": base_of(client, url),
        **rows("answers", [{"text": "47", "percent": "100"}, {"text": "15", "percent": "0"}]),
    }
    response = client.post_form(url, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{AR}:1: question m1-q01: 2 choices here but 4 in {EN}" in html
    assert draft_file(db, "sample-course", AR) == before


def test_pasting_a_translation_with_another_answer_key_is_refused(client, db, sign_in, sample):
    sign_in("owner")
    before = draft_file(db, "sample-course", AR)
    text = "::m1-q01:: كم؟ {~47 =15 ~54 ~193}\n\n::m1-q02:: نص {TRUE}\n\n::m1-q03:: من؟ {=أ ~ب ~ج}\n"
    response = client.post_form(f"{QUIZ}/ar/source", {"kind": "gift", "mode": "replace", "text": text})
    assert response.status_code == 200
    assert f"{AR}:1: question m1-q01: choice 1 is worth 0% here but 100% in {EN}" in response.get_data(
        as_text=True
    )
    assert draft_file(db, "sample-course", AR) == before


def test_publishing_refuses_a_translation_whose_source_key_changed(client, db, sign_in, sample):
    sign_in("owner")
    url = f"{QUIZ}/en/question?qid=m1-q01"
    answers = (("47", "0"), ("15", "100"), ("54", "0"), ("193", "0"))
    data = {
        "qid": "m1-q01",
        "text": "How many Member States sit on the Human Rights Council?",
        "text_format": "moodle",
        "base": base_of(client, url),
        **rows("answers", [{"text": t, "percent": p} for t, p in answers]),
    }
    assert client.post_form(url, data).status_code == 303
    page = client.get("/author/sample-course/publish").get_data(as_text=True)
    assert f"{AR}:1: question m1-q01: choice 1 is worth 100% here but 0% in {EN}" in page
    response = client.post_form("/author/sample-course/publish", {"accept_translations": "y"})
    assert f"{AR}:1: question m1-q01" in response.get_data(as_text=True)
    db.session.expire_all()
    assert sample.version == 1
