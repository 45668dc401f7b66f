"""One redaction for every text that leaves the product: connection secrets and server paths.

- `connection_secrets(url, env_values)` lists what must never be shown of a connection: its URL
  (as written and expanded), the user and password inside it (as written and percent-decoded,
  also when the URL is malformed: a raw `%`, `@`, `/` or `#` in the password), and the values
  `${ENV}` references expanded to. `redact_secrets(text, secrets)` replaces them: the URL by
  `<url of NAME>`, the password by `***`, the user by `<user>`, an env value by `${VAR}`.
- `value_secrets(values)` lists literal values to hide (a notification channel's token, webhook
  URL, SMTP password, expanded `${VAR}` values) as `***`, with the credentials inside any URL
  among them; `redact_url_credentials(text)` hides `user:password@` in any URL of a text.
- `redact_paths(text, roots)` replaces known server folders by their label (`<workspace>`) and
  any other absolute path by `<path>/<file name>`: clients need not learn the server's layout.
- `redact_exception(exc, fn)` rewrites an exception's message in place (its class, traceback
  and chained causes kept, so callers still classify it), whatever the driver's exception class.

Secrets shorter than 8 characters are replaced only as whole words (a password `a` does not
blank every `a`); well-known default account names (postgres, root, sa, ...) are not secrets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import unquote

PASSWORD_MASK = "***"
USER_MASK = "<user>"
# default account names anyone knows: hiding them would only garble messages ("postgres")
_PUBLIC_USERS = frozenset({"postgres", "root", "sa", "admin", "mysql", "mariadb", "user"})
_WHOLE_WORD_BELOW = 8
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

Secrets = list[tuple[str, str]]  # (text to hide, what to show instead), longest first


def _userinfo_candidates(url: str) -> list[str]:
    """The `user[:password]` part of a URL, read leniently: between `://` and the first `@`,
    and between `://` and the last `@` before the path (a raw `@` or `/` in a password makes the
    URL ambiguous; both readings are hidden)."""
    m = _SCHEME.match(url)
    if not m:
        return []
    rest = url[m.end() :]
    out = []
    if "@" in rest:
        out.append(rest.split("@", 1)[0])
        out.append(rest.rsplit("@", 1)[0])
        head = rest.split("/", 1)[0]
        if "@" in head:
            out.append(head.rsplit("@", 1)[0])
    return list(dict.fromkeys(out))


def connection_secrets(
    name: str, urls: Iterable[str | None], env_values: dict[str, str] | None = None
) -> Secrets:
    """What to hide of connection `name`: each URL in `urls` (written and expanded forms), the
    user and password inside them, and `env_values` ({VAR: value} that `${VAR}` expanded to)."""
    found: dict[str, str] = {}
    for url in urls:
        if not url:
            continue
        found.setdefault(url, f"<url of {name}>")
        for info in _userinfo_candidates(url):
            user, sep, password = info.partition(":")
            if sep and password:
                for form in (password, unquote(password)):
                    found.setdefault(form, PASSWORD_MASK)
            for form in (user, unquote(user)):
                if form and form.lower() not in _PUBLIC_USERS:
                    found.setdefault(form, USER_MASK)
    for var, value in (env_values or {}).items():
        if value and value.lower() not in _PUBLIC_USERS:
            found.setdefault(value, "${" + var + "}")
    return sorted(found.items(), key=lambda kv: -len(kv[0]))


def value_secrets(values: Iterable[str | None], mask: str = PASSWORD_MASK) -> Secrets:
    """Each non-empty value of `values` (a token, a password, a webhook URL) to be shown as
    `mask`, and the user and password inside any of them that is a URL (as written and
    percent-decoded); for `redact_secrets`. Values shorter than 3 characters are ignored (they
    would blank ordinary words)."""
    found: dict[str, str] = {}
    for value in values:
        if not value or len(value) < 3:
            continue
        found.setdefault(value, mask)
        for info in _userinfo_candidates(value):
            _user, sep, password = info.partition(":")
            for form in (password, unquote(password)) if sep else ():
                if len(form) >= 3:
                    found.setdefault(form, mask)
    return sorted(found.items(), key=lambda kv: -len(kv[0]))


_URL_USERINFO = re.compile(r"(//)[^/@\s:]+:[^/@\s]+@")


def redact_url_credentials(text: str) -> str:
    """`text` with the `user:password@` of every URL in it shown as `***@`."""
    return _URL_USERINFO.sub(r"\1***@", text) if text else text


def _pattern(secret: str) -> re.Pattern:
    body = re.escape(secret)
    if len(secret) >= _WHOLE_WORD_BELOW:
        return re.compile(body)
    left = r"(?<![A-Za-z0-9_])" if re.match(r"\w", secret[0]) else ""
    right = r"(?![A-Za-z0-9_])" if re.match(r"\w", secret[-1]) else ""
    return re.compile(left + body + right)


def redact_secrets(text: str, secrets: Secrets) -> str:
    """`text` with every secret replaced (longest first)."""
    if not text or not secrets:
        return text
    for secret, shown in secrets:
        if secret in text:
            text = _pattern(secret).sub(lambda _m, s=shown: s, text)
    return text


# an absolute path of two or more parts (`/srv/data/wh.duckdb`), not a URL's path or a ratio
_ABS_PATH = re.compile(r"(?<![\w.:/~$<>)\]-])((?:/[^\s/'\"`<>|,;:()\[\]{}*?=&]+)+)")


def redact_paths(text: str, roots: Iterable[tuple[Path | str | None, str]] = ()) -> str:
    """`text` with each root folder (resolved and as given) replaced by its label, then any other
    absolute path of two or more parts by `<path>/<its last part>`."""
    if not text:
        return text
    for root, label in roots:
        if root is None:
            continue
        spellings = {str(root)}
        try:
            spellings.add(str(Path(root).resolve()))
        except OSError:
            pass
        for spelling in sorted(spellings, key=len, reverse=True):
            if spelling not in ("", "/"):
                text = text.replace(spelling, label)

    def shorten(m: re.Match) -> str:
        parts = m.group(1).split("/")
        return m.group(1) if len(parts) < 3 else f"<path>/{parts[-1]}"

    return _ABS_PATH.sub(shorten, text)


def redact_exception(exc: BaseException, redact: Callable[[str], str]) -> BaseException:
    """Rewrite `exc`'s message in place with `redact` (string args, a BatchError's `message` and
    `reason`, SQLAlchemy's `orig`), then its chained causes; answers `exc`."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        try:
            e.args = tuple(redact(a) if isinstance(a, str) else a for a in e.args)
        except (AttributeError, TypeError):
            pass
        for attr in ("message", "reason", "msg"):
            value = getattr(e, attr, None)
            if isinstance(value, str):
                try:
                    setattr(e, attr, redact(value))
                except (AttributeError, TypeError):
                    pass
        stack += [e.__cause__, e.__context__, getattr(e, "orig", None)]
    return exc
