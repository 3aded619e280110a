#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL cluster on 127.0.0.1, then remove the cluster.

Usage: scripts/with_postgres.py COMMAND [ARGS...]

The command sees LMS_TEST_DATABASE_URL. The cluster lives in a temporary directory, listens
only on 127.0.0.1 on a free port, trusts local connections, and is deleted afterwards. When
run as root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def find_bin(name: str) -> str:
    """Find a PostgreSQL server binary (Debian keeps them out of PATH)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if not candidates:
        sys.exit(f"{name} not found: install the postgresql package (make test does this)")
    return candidates[0]


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    """Start the cluster, run the command, stop and delete the cluster."""
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    workdir = tempfile.mkdtemp(prefix="tamkeen-pg-")
    datadir = os.path.join(workdir, "data")
    port = free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(workdir, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    try:
        subprocess.run(
            [
                *as_user,
                initdb,
                "-D",
                datadir,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {workdir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [
                *as_user,
                pg_ctl,
                "-D",
                datadir,
                "-o",
                options,
                "-l",
                os.path.join(workdir, "log"),
                "-w",
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        print(f"PostgreSQL throwaway cluster on 127.0.0.1:{port}", flush=True)
        child_env = {
            **os.environ,
            "LMS_TEST_DATABASE_URL": url,
            "LMS_TEST_PG_DATADIR": datadir,
            "LMS_TEST_PG_CTL": pg_ctl,
        }
        return subprocess.run(sys.argv[1:], env=child_env).returncode
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", datadir, "-m", "immediate", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.2)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
