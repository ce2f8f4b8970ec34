"""People and their rights: users, roles, argon2 password hashes, signed tokens.

The web app (sessions, CSRF) and the ``glamlab users`` command both use these; see
:mod:`.users`.
"""

from .users import (
    MIN_PASSWORD,
    ROLES,
    User,
    UserError,
    add_user,
    api_token,
    authenticate,
    csrf_token,
    get_user,
    list_users,
    record_login,
    remove_user,
    secret,
    sign,
    verify,
)

__all__ = ["MIN_PASSWORD", "ROLES", "User", "UserError", "add_user", "api_token",
           "authenticate", "csrf_token", "get_user", "list_users", "record_login",
           "remove_user", "secret",
           "sign", "verify"]
