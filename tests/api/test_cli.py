"""The CLI against a data dir a server is already using."""

import subprocess
import sys


def test_token_create_works_at_once_against_running_server(client, service_settings):
    out = subprocess.run([sys.executable, "-m", "service.cli", "token", "create", "--data-dir", str(service_settings.data_dir),
                          "--role", "agent", "--name", "cli-agent"], capture_output=True, text=True, check=True)
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("tact_")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/suggest", json={"message": "Where is my order?"}, headers=headers).status_code == 200
    assert client.post("/api/v1/templates", json={"title": "x", "language": "en", "body": "x"}, headers=headers).status_code == 403


def test_token_is_stored_hashed(resources):
    import sqlalchemy as sa

    from service.auth.storage import tokens

    token = resources.tokens.create("hash-check", "agent")
    with resources.db.connect() as conn:
        rows = conn.execute(sa.select(tokens)).all()
    assert all(token not in (r.token_hash, r.prefix) for r in rows)
    assert any(r.name == "hash-check" for r in rows)
