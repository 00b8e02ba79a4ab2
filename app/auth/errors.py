"""What can go wrong when signing up, signing in or presenting a token; app/problems.py maps
each to its HTTP status."""


class AuthError(Exception):
    pass


class NotAuthenticated(AuthError):
    """No usable credentials: missing, malformed, expired, revoked or unknown (401)."""


class InvalidCredentials(NotAuthenticated):
    """Wrong e-mail or password; which one is never said."""


class Forbidden(AuthError):
    """Authenticated, but the role does not allow it (403)."""


class EmailTaken(AuthError):
    """An account exists for this e-mail address (409)."""


class WeakPassword(AuthError):
    """The password breaks the policy (422)."""
