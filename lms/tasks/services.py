"""The practice-task domain's public services; the work is done in the modules named below.

Other domains and the tests call practice tasks through this module only: `definitions` (tasks
from course packages), `submissions` (drafts, versions, feedback, standing), `marking` (the
review queue and mentors' decisions), `peers` (peer allocation and advice) and `privacy`
(download and erasure). Services take the acting user, flush, and raise TaskError (the message
is for the user) or rubric.InvalidReview (a tampered form: answer 400); the view or CLI commits
once.
"""

from lms.tasks.definitions import replace_task, section_keys, task_for_activity
from lms.tasks.errors import AlreadyReviewed, OverWordLimit, TaskError
from lms.tasks.files import MAX_BYTES as MAX_FILE_BYTES
from lms.tasks.files import FileRefused
from lms.tasks.files import check as check_file
from lms.tasks.marking import (
    get_submission_by_id,
    record_decision,
    review_queue,
    submission_author_public_id,
    waiting_count,
)
from lms.tasks.peers import (
    get_peer_assignment,
    peer_assignments,
    peer_submission,
    record_peer_review,
    request_peer_work,
)
from lms.tasks.privacy import erase_for, export_user_data
from lms.tasks.rubric import InvalidReview
from lms.tasks.submissions import (
    Feedback,
    approval_status,
    attachments,
    feedback,
    get_attachment,
    get_submission,
    save_draft,
    statuses,
    submit,
    unapproved_tasks_select,
    version_changes,
)

__all__ = [
    "MAX_FILE_BYTES",
    "check_file",
    "AlreadyReviewed",
    "Feedback",
    "FileRefused",
    "InvalidReview",
    "OverWordLimit",
    "TaskError",
    "approval_status",
    "attachments",
    "erase_for",
    "export_user_data",
    "feedback",
    "get_attachment",
    "get_peer_assignment",
    "get_submission",
    "get_submission_by_id",
    "peer_assignments",
    "peer_submission",
    "record_decision",
    "record_peer_review",
    "replace_task",
    "request_peer_work",
    "review_queue",
    "save_draft",
    "section_keys",
    "statuses",
    "submission_author_public_id",
    "submit",
    "task_for_activity",
    "unapproved_tasks_select",
    "version_changes",
    "waiting_count",
]
