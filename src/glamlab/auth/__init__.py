"""People and their rights: users, roles, argon2 password hashes, revocable tokens.

The web app (sessions, CSRF) and the ``glamlab users`` command both use these; see
:mod:`.users` and :mod:`.tokens`.
"""

from .tokens import TokenError, list_tokens
from .tokens import check as check_token
from .tokens import issue as issue_token
from .tokens import revoke as revoke_token
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

__all__ = ["MIN_PASSWORD", "ROLES", "TokenError", "User", "UserError", "add_user", "api_token",
           "check_token", "issue_token", "list_tokens", "revoke_token",
           "authenticate", "csrf_token", "get_user", "list_users", "record_login",
           "remove_user", "secret",
           "sign", "verify"]
