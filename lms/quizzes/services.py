"""Quiz services, the public face of the quiz domain: banks, attempts, marking, results.

Services take the acting user, never touch the request, and flush; the caller commits once.
The work lives in the modules named for it (``banks``, ``attempts``, ``marking``,
``results``, ``statistics``); this module re-exports what other packages may use.
"""

from lms.quizzes.answering import form_for
from lms.quizzes.attempts import (
    AttemptView,
    QuestionView,
    attempt_view,
    get_attempt,
    open_attempt,
    question_activity,
    quiz_activity,
    start_attempt,
    submit_attempt,
)
from lms.quizzes.banks import BankError, BankProblem, check_banks, get_quiz, quiz_for_activity, replace_bank
from lms.quizzes.errors import AlreadyMarked, InvalidSubmission, NoAttemptsLeft, NotAllowed, QuizError
from lms.quizzes.item_csv import CSV_HEADER as ITEM_ANALYSIS_CSV_HEADER
from lms.quizzes.item_csv import write_csv as write_item_analysis_csv
from lms.quizzes.layout import questions_for
from lms.quizzes.marking import PendingEssay, get_response, mark_essay, pending_essays
from lms.quizzes.results import (
    AssessmentScores,
    AttemptSummary,
    QuestionResult,
    Result,
    ResultView,
    assessment_scores,
    attempt_history,
    best_result,
    export_user_data,
    passed_quizzes_select,
    result_view,
    results_for,
)
from lms.quizzes.statistics import (
    ALL,
    FLAGS,
    ItemStat,
    OptionStat,
    QuizAnalysis,
    item_analysis,
)

__all__ = [
    "ALL",
    "FLAGS",
    "ITEM_ANALYSIS_CSV_HEADER",
    "AlreadyMarked",
    "AssessmentScores",
    "AttemptSummary",
    "AttemptView",
    "BankError",
    "BankProblem",
    "InvalidSubmission",
    "ItemStat",
    "NoAttemptsLeft",
    "NotAllowed",
    "OptionStat",
    "PendingEssay",
    "QuestionResult",
    "QuestionView",
    "QuizAnalysis",
    "QuizError",
    "Result",
    "ResultView",
    "assessment_scores",
    "attempt_history",
    "attempt_view",
    "best_result",
    "check_banks",
    "export_user_data",
    "form_for",
    "get_attempt",
    "get_quiz",
    "get_response",
    "item_analysis",
    "mark_essay",
    "open_attempt",
    "passed_quizzes_select",
    "pending_essays",
    "question_activity",
    "questions_for",
    "quiz_activity",
    "quiz_for_activity",
    "replace_bank",
    "result_view",
    "results_for",
    "start_attempt",
    "submit_attempt",
    "write_item_analysis_csv",
]
