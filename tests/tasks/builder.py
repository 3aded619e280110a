"""A small course whose first module has a practice task, for the tasks tests."""

from pathlib import Path

from tests.courses.course_builder import write_course

TASK_TOML = """review = "{review}"
peers = {peers}
word_limit = {word_limit}
attachments = {attachments}
requires_approval = true
pass_points = 3

[[criteria]]
id = "evidence"
[criteria.title]
en = "Evidence"
ar = "الأدلة"

[[criteria.levels]]
points = 0
[criteria.levels.description]
en = "No facts."
ar = "لا وقائع."

[[criteria.levels]]
points = 2
[criteria.levels.description]
en = "Dated, sourced facts."
ar = "وقائع مؤرخة وموثقة."

[[criteria]]
id = "ask"
[criteria.title]
en = "The ask"
ar = "المطلب"

[[criteria.levels]]
points = 0
[criteria.levels.description]
en = "No clear ask."
ar = "لا مطلب واضح."

[[criteria.levels]]
points = 1
[criteria.levels.description]
en = "A SMART ask."
ar = "مطلب ذكي."
"""

TASK_EN = """# Write a short statement

Write two parts. Keep it **short**.

## Evidence
One dated fact with its source.

## The ask
One sentence, starting with a verb.
"""

TASK_AR = """# اكتب بياناً قصيراً

اكتب جزأين.

## الأدلة
واقعة واحدة مؤرخة مع مصدرها.

## المطلب
جملة واحدة تبدأ بفعل.
"""


def write_task_course(
    root: Path,
    slug: str = "task-course",
    *,
    review: str = "mentor",
    peers: int = 2,
    word_limit: int = 50,
    attachments: bool = False,
) -> Path:
    """Write a two-module course whose first module has a practice task; return its folder."""
    folder = write_course(root, slug, modules=2, lessons_per_module=1)
    module = folder / "01-module-1"
    (module / "task.toml").write_text(
        TASK_TOML.format(
            review=review, peers=peers, word_limit=word_limit, attachments="true" if attachments else "false"
        ),
        encoding="utf-8",
    )
    (module / "task.en.md").write_text(TASK_EN, encoding="utf-8")
    (module / "task.ar.md").write_text(TASK_AR, encoding="utf-8")
    return folder
