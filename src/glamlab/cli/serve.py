"""glamlab serve | users"""

from __future__ import annotations

import sys
from typing import Any

import click

from ._common import emit, json_option, open_ws, table


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this computer only).")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure (set this when a proxy serves the app over https).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, secure_cookies: bool) -> None:
    """Start the web app: overview, labelling, review queue, item pages, reports, JSON API.

    \b
    People sign in with accounts made by `glamlab users add NAME --role reviewer`.
    The JSON API and its OpenAPI description are at /docs and /openapi.json.
    """
    from ..auth import list_users
    from ..errors import MissingDependency

    ws = open_ws(ctx)
    try:
        import uvicorn

        from ..web.app import create_app, stop_background
    except ImportError as exc:
        raise MissingDependency(exc.name or "fastapi", "web") from exc
    if not list_users(ws):
        click.echo("No users yet: add one first, e.g. "
                   "glamlab users add alice --role admin", err=True)
    click.echo(f"glamlab serving {ws.root} on http://{host}:{port}/ (Ctrl+C stops)", err=True)
    app = create_app(ws, secure_cookies=secure_cookies)
    app.state.jobs.start()  # long work from the browser; a job a stopped server left resumes
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:  # no background work outlives the workspace's connections
        stop_background(app, timeout=10)


@click.group()
def users() -> None:
    """Manage the people who use the web app (roles: admin, reviewer, viewer)."""


def _password(password_stdin: bool, username: str) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(f"Password for {username}", hide_input=True,
                            confirmation_prompt=True))


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "reviewer", "viewer"]), default="reviewer",
              show_default=True, help="viewer reads; reviewer also labels and decides; "
              "admin also manages users, the policy and models.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (scripts).")
@click.option("--replace", is_flag=True, help="Change the password/role of an existing user.")
@json_option
@click.pass_context
def users_add(ctx: click.Context, username: str, role: str, password_stdin: bool,
              replace: bool, as_json: bool) -> None:
    """Add a user; the password is asked for (or read from stdin), stored as an argon2 hash."""
    from ..auth import add_user

    ws = open_ws(ctx)
    user = add_user(ws, username, _password(password_stdin, username), role, replace=replace)
    emit({"username": user.username, "role": user.role}, as_json,
         lambda d: f"{d['username']} can now sign in as {d['role']}.")


@users.command("list")
@json_option
@click.pass_context
def users_list(ctx: click.Context, as_json: bool) -> None:
    """List users and their roles."""
    from ..auth import list_users

    rows: list[dict[str, Any]] = list_users(open_ws(ctx))
    emit(rows, as_json, lambda r: table(r, ["username", "role", "created_at"]))


@users.command("remove")
@click.argument("username")
@json_option
@click.pass_context
def users_remove(ctx: click.Context, username: str, as_json: bool) -> None:
    """Remove a user: their sessions and tokens stop working at once."""
    from ..auth import remove_user

    remove_user(open_ws(ctx), username)
    emit({"removed": username}, as_json, lambda d: f"Removed {d['removed']}.")


@users.command("token")
@click.argument("username")
@click.option("--expires-days", "--days", "days", default=90, show_default=True, type=int,
              help="How many days it is valid.")
@click.option("--note", default=None, help="What the token is for (shown by `users tokens`).")
@json_option
@click.pass_context
def users_token(ctx: click.Context, username: str, days: int, note: str | None,
                as_json: bool) -> None:
    """Print a new API token for scripts: send it as `Authorization: Bearer TOKEN`.

    The token is shown once; only its hash is stored. `glamlab users tokens` lists tokens
    by id and `glamlab users revoke ID` ends one; removing the user ends all of theirs."""
    from ..auth import api_token

    token = api_token(open_ws(ctx), username, days=days, note=note)
    token_id = token.split(".")[1]  # KIND.ID.SECRET.SIGNATURE
    emit({"username": username, "token": token, "id": token_id, "days": days}, as_json,
         lambda d: d["token"])


@users.command("tokens")
@click.argument("username", required=False)
@click.option("--all", "show_all", is_flag=True, help="Also revoked and expired tokens.")
@json_option
@click.pass_context
def users_tokens(ctx: click.Context, username: str | None, show_all: bool,
                 as_json: bool) -> None:
    """List API tokens (ids, owners, expiry, last use; never the secrets)."""
    from ..auth import list_tokens

    rows = list_tokens(open_ws(ctx), username, include_inactive=show_all)
    emit(rows, as_json, lambda r: table(r, ["id", "username", "state", "expires_at",
                                            "last_used_at", "note"]))


@users.command("revoke")
@click.argument("token_id")
@json_option
@click.pass_context
def users_revoke(ctx: click.Context, token_id: str, as_json: bool) -> None:
    """Revoke one token by its id (from `glamlab users tokens`): it stops working at once."""
    from ..auth import revoke_token

    out = revoke_token(open_ws(ctx), token_id)
    emit(out, as_json, lambda d: f"Revoked token {d['id']} of {d['username']}.")
