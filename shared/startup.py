"""Failures an operator must fix, in plain words: which setting, what is wrong, what to do.

``explained`` turns them into one or two lines on stderr and a non-zero exit, without a traceback unless
``OPD_DEBUG`` is set (``opd --debug``). ``database_problem`` and ``broker_problem`` describe a connection failure;
the fatal ones (a refused login, a missing database or virtual host) become a ``StartupError``.
"""

import contextlib
import errno
import os
import sys
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import aiormq.exceptions
import asyncpg
from pydantic import ValidationError

DEBUG_VARIABLE = "OPD_DEBUG"
EXIT_CODE = 2


class StartupError(Exception):
    """A configuration the service cannot run with; the message names the setting and the remedy."""


def debugging() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "") not in {"", "0", "false"}


def _endpoint(url: str, default_port: int) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or default_port}"


def _reason(exc: BaseException) -> str:
    args = exc.args
    if isinstance(exc, ConnectionRefusedError) or (args and args[0] == errno.ECONNREFUSED):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "no answer (timed out)"
    if len(args) == 2 and isinstance(args[1], str):  # (errno, text) from the socket layer
        return args[1]
    return str(exc) or type(exc).__name__


def database_problem(exc: BaseException, dsn: str, setting: str) -> str:
    """What went wrong connecting to PostgreSQL, naming the setting and the remedy."""
    parts = urlsplit(dsn)
    user = unquote(parts.username or "") or "(default)"
    name = parts.path.lstrip("/") or "(default)"
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return (
            f"PostgreSQL refused to log in user {user!r} ({setting}): {exc}. "
            f"Fix the user and password in {setting}, or create the role (`opd migrate` creates the service roles)."
        )
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"database {name!r} does not exist ({setting}). Run `opd migrate` to create it, or fix {setting}."
    return (
        f"cannot reach PostgreSQL at {_endpoint(dsn, 5432)} ({setting}): {_reason(exc)}. "
        f"Check the host and port in {setting} and that PostgreSQL is running."
    )


def database_fatal(exc: BaseException) -> bool:
    """Whether waiting cannot help: the login or the database name is wrong."""
    return isinstance(
        exc,
        asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidCatalogNameError,
    )


def _vhost(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def broker_problem(exc: BaseException, url: str, setting: str = "OPD_AMQP_URL") -> str:
    """What went wrong connecting to RabbitMQ, naming the setting and the remedy."""
    user = unquote(urlsplit(url).username or "") or "guest"
    if isinstance(exc, aiormq.exceptions.ProbableAuthenticationError | aiormq.exceptions.AuthenticationError):
        return (
            f"RabbitMQ refused to log in user {user!r} ({setting}): wrong user or password. "
            f"Fix them in {setting}, or create the user (rabbitmqctl add_user)."
        )
    if broker_fatal(exc):
        return (
            f"RabbitMQ would not open virtual host {_vhost(url)!r} for user {user!r} ({setting}): it does not exist "
            f"or the user has no permissions on it. Fix the path of {setting}, or run rabbitmqctl add_vhost / "
            "set_permissions."
        )
    return (
        f"cannot reach RabbitMQ at {_endpoint(url, 5672)} ({setting}): {_reason(exc)}. "
        f"Check the host and port in {setting} and that RabbitMQ is running."
    )


def broker_fatal(exc: BaseException) -> bool:
    """Whether waiting cannot help: the login is refused or the virtual host cannot be opened."""
    if isinstance(exc, aiormq.exceptions.ProbableAuthenticationError | aiormq.exceptions.AuthenticationError):
        return True
    if isinstance(exc, aiormq.exceptions.ConnectionNotAllowed):
        return True
    # An unknown virtual host: the broker answers Connection.Open with Connection.Close (530 NOT_ALLOWED).
    return isinstance(exc, aiormq.exceptions.InvalidFrameError) and "Connection.Close" in str(exc)


def settings_problem(exc: ValidationError) -> str:
    """Each invalid ``OPD_*`` variable with pydantic's reason, on one line."""
    problems = []
    for error in exc.errors():
        name = "OPD_" + "_".join(str(part) for part in error["loc"]).upper()
        problems.append(f"{name}: {error['msg']}")
    return "invalid setting " + "; ".join(problems) + ". Fix the environment variable (or .env)."


def _find(exc: BaseException) -> BaseException | None:
    """The first explainable failure in ``exc``, looking inside exception groups."""
    if isinstance(exc, StartupError) or (isinstance(exc, ValidationError) and exc.title.endswith("Settings")):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _find(inner)
            if found is not None:
                return found
    return None


@contextlib.contextmanager
def explained(program: str) -> Iterator[None]:
    """Print a configuration failure as one or two lines and exit with status 2 (a traceback with OPD_DEBUG)."""
    try:
        yield
    except (StartupError, ValidationError, BaseExceptionGroup) as exc:
        found = _find(exc)
        if found is None or debugging():
            raise
        message = settings_problem(found) if isinstance(found, ValidationError) else str(found)
        print(f"{program}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_CODE) from None
