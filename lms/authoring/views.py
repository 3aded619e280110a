"""Trainers' web editor: courses, modules, lessons, quizzes, translations, publishing."""

from flask import Blueprint

bp = Blueprint("authoring", __name__, template_folder="templates")
