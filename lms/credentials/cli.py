"""`flask credentials ...`: the issuer's keys, and checking a credential file."""

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.credentials import keys, services

credentials_cli = AppGroup("credentials", help="Open Badges credentials: keys and verification.")


@credentials_cli.command("keygen")
@click.option("--if-missing", is_flag=True, help="Do nothing (and succeed) if the key file exists.")
def keygen(if_missing):
    """Create the issuer's Ed25519 key file (refuses to overwrite one)."""
    path = services.key_path()
    if if_missing and path.exists():
        click.echo(f"{path} exists; no new key.")
        return
    try:
        ring = keys.generate(path)
    except keys.KeyFileError as error:
        raise click.ClickException(str(error))
    click.echo(f"Created {path} (mode 0600) with key {ring.current}.")
    click.echo(f"Issuer: {services.issuer_did()}; keep a backup of the file somewhere safe.")


@credentials_cli.command("rotate")
def rotate():
    """Add a new key and sign with it from now on; older keys stay published."""
    path = services.key_path()
    try:
        ring = keys.rotate(path)
    except keys.KeyFileError as error:
        raise click.ClickException(str(error))
    click.echo(f"New signing key {ring.current}; {len(ring.keys) - 1} older key(s) stay published.")


@credentials_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--show/--no-show", default=True, help="Print the decoded credential.")
def verify(file, show):
    """Check a credential FILE (.jwt or baked .png) against this site's keys and status list."""
    limit = 4 * 1024 * 1024
    with file.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise click.ClickException(f"{file} is too large to be a credential.")
    try:
        outcome = services.verify_upload(data)
    except services.KeysUnavailable as error:
        raise click.ClickException(str(error))
    if show and outcome.credential is not None:
        click.echo(
            json.dumps(
                {"header": outcome.header, "payload": outcome.credential}, indent=2, ensure_ascii=False
            )
        )
    click.echo(f"{outcome.status.upper().replace('_', ' ')}: {outcome.reason}")
    if not outcome.is_valid:
        raise SystemExit(1)
