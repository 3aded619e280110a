"""`flask courses ...`: validate, import, export and load the shipped courses."""

from pathlib import Path

import click
from flask.cli import AppGroup

from lms.courses import archive, package, services
from lms.extensions import db

courses_cli = AppGroup("courses", help="Validate, import and export course packages.")


def _print_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


@courses_cli.command("validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def validate(path):
    """Report every problem in a course folder as path:line: message; write nothing."""
    if path.is_file():
        try:
            services.read_package(path)
        except package.PackageError as error:
            _print_problems(error.problems)
            raise SystemExit(1)
        except (archive.ArchiveError, services.CourseError) as error:
            click.echo(f"{path.name}:0: {error}", err=True)
            raise SystemExit(1)
        click.echo(f"{path}: no problems found.")
        return
    problems = package.validate(path)
    if problems:
        _print_problems(problems)
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    click.echo(f"{path}: no problems found.")


def _import_one(path: Path) -> services.ImportResult:
    try:
        return services.import_path(path)
    except package.PackageError as error:
        db.session.rollback()
        _print_problems(error.problems)
        raise SystemExit(1)
    except (archive.ArchiveError, services.CourseError) as error:
        db.session.rollback()
        click.echo(f"{path.name}:0: {error}" if "0:" not in str(error) else str(error), err=True)
        raise SystemExit(1)


@courses_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def import_course(path):
    """Import a course folder or .zip, all or nothing."""
    result = _import_one(path)
    db.session.commit()
    click.echo(f"{result.course.slug} version {result.course.version}: {result.status}.")


@courses_cli.command("export")
@click.argument("slug")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def export_course(slug, dest):
    """Write a course back as a package folder DEST/SLUG."""
    course = services.get_course(slug)
    if course is None:
        raise click.ClickException(f"No course {slug!r}.")
    target = dest / slug
    if target.exists() and any(target.iterdir()):
        raise click.ClickException(f"{target} exists and is not empty.")
    out = services.export_course(course, dest)
    click.echo(f"Exported {slug} to {out}.")


@courses_cli.command("load-all")
@click.option("--path", "root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
def load_all(root):
    """Import every course folder under courses/ (each one all or nothing)."""
    root = root or services.courses_dir()
    folders = sorted(p for p in root.iterdir() if (p / "course.toml").is_file())
    if not folders:
        click.echo(f"No courses under {root}.")
        return
    failed = 0
    for folder in folders:
        try:
            result = services.import_path(folder)
        except package.PackageError as error:
            db.session.rollback()
            failed += 1
            _print_problems(error.problems)
            continue
        except services.CourseError as error:
            db.session.rollback()
            failed += 1
            click.echo(f"{folder.name}: {error}", err=True)
            continue
        db.session.commit()
        click.echo(f"{result.course.slug} version {result.course.version}: {result.status}.")
    if failed:
        raise SystemExit(1)
