"""`pilotage users`, `pilotage audit`, `pilotage demo --users` and `serve`'s safe defaults, as a user runs them."""

from __future__ import annotations

import subprocess
import sys

import pilotage
from pilotage.auth.store import AuthStore


def run(*args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "pilotage.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=300)


def test_users_commands_and_audit(tmp_path):
    db = str(tmp_path / "u.duckdb")
    p = run("users", "add", "Boss@X.org", "--role", "admin", "--password-stdin", "--db", db,
            stdin="a long password\n")
    assert p.returncode == 0 and p.stdout.startswith("added boss@x.org (admin: sees everything)")
    p = run("users", "add", "r@x.org", "--role", "rep", "--db", db)
    assert p.returncode == 2 and "a rep user needs --rep REP_ID" in p.stderr
    assert run("users", "add", "r@x.org", "--role", "rep", "--rep", "R1", "--db", db).returncode == 0
    token = run("users", "token", "r@x.org", "--db", db).stdout.strip()
    assert token.startswith("plt_")
    ws = pilotage.connect(db)
    store = AuthStore(ws.db)
    assert store.user_for_token(token)[0].rep_id == "R1"
    stored = ws.db.fetchall('SELECT token_hash FROM "pilotage_api_tokens"')
    assert token not in str(stored)                       # only its hash is kept
    ws.close()
    listed = run("users", "list", "--db", db).stdout
    assert "boss@x.org" in listed and "r@x.org" in listed
    assert run("users", "disable", "r@x.org", "--db", db).returncode == 0
    audit = run("audit", "--since", "2000-01-01", "--db", db).stdout.splitlines()
    assert [line.split("\t")[2] for line in audit][:2] in (["user.disable", "token.revoke"],
                                                          ["token.revoke", "user.disable"])
    assert {"user.add", "token.new"} <= {line.split("\t")[2] for line in audit}


def test_serve_refuses_another_host_until_an_admin_exists(tmp_path):
    db = str(tmp_path / "s.duckdb")
    pilotage.connect(db, create=True).close()
    p = run("serve", "--host", "0.0.0.0", "--port", "0", "--db", db)
    assert p.returncode == 2 and "no admin user yet" in p.stderr


def test_demo_users_one_per_role(tmp_path):
    db = str(tmp_path / "d.duckdb")
    p = run("demo", "--no-serve", "--users", "--db", db, "--out", str(tmp_path / "demo"))
    assert p.returncode == 0, p.stderr
    logins = [line for line in p.stdout.splitlines() if line.startswith("login ")]
    assert [line.split()[1] for line in logins] == ["admin@demo.pilotage", "manager@demo.pilotage",
                                                    "rep@demo.pilotage"]
    ws = pilotage.connect(db)
    store = AuthStore(ws.db)
    for line in logins:
        email, password = line.split()[1], line.split()[3]
        assert store.check_password(email, password) is not None   # the printed password logs in
    ws.close()
