"""Practice tasks: briefs, answer templates, submissions, versions and rubric reviews.

Knows nothing of courses, as quizzes does: a module points to its task, and courses asks
these services whether a learner's task is approved.
"""
