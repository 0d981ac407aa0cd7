"""Redact or pseudonymize sensitive text before a span leaves the process.

``redact("email", "card")`` returns a ``str -> str`` callable for ``configure(mask=...)``.
With ``pseudonymize_key``, each match becomes a keyed HMAC token instead of a fixed
placeholder, so the same e-mail always maps to the same token (traces stay groupable by
user) while the value itself cannot be recovered without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Literal

Redactor = Literal["email", "phone", "card", "secret"]
ALL_REDACTORS: tuple[Redactor, ...] = ("email", "phone", "card", "secret")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# International numbers (+CC and groups) and North American ones with (area) or -/.
# separators. Bare digit runs and space-grouped digits (ids, timestamps, card numbers
# that fail the Luhn check) are deliberately not matched.
_PHONE = re.compile(
    r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?!\w)"
    r"|(?:\(\d{3}\)\s?|(?<![\w.-])\d{3}[-.])\d{3}[-.]\d{4}(?![\w.-])"
)
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_SECRET = re.compile(
    r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"  # OpenAI, Anthropic
    r"|\bAKIA[0-9A-Z]{16}\b"  # AWS access key id
    r"|\bgh[pousr]_[A-Za-z0-9]{36,}\b"  # GitHub
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack
    r"|\bAIza[0-9A-Za-z_-]{35}\b"  # Google
    r"|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWT
    r"|(?i:\bbearer\s+)[A-Za-z0-9._~+/=-]{16,}"
    r"|(?i:(?:api[_-]?key|secret|password|passwd|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]{6,}"
)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _card_matches(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group())
    return 13 <= len(digits) <= 19 and _luhn_valid(digits)


_PATTERNS: dict[Redactor, re.Pattern[str]] = {
    "email": _EMAIL,
    "secret": _SECRET,  # before card and phone: keys contain digit runs
    "card": _CARD,
    "phone": _PHONE,
}


def redact(*kinds: Redactor, pseudonymize_key: str | bytes | None = None) -> Callable[[str], str]:
    """A masking function for ``tracer.configure(mask=...)``.

    With no kinds, all built-in redactors apply. Example::

        >>> mask = redact("email")
        >>> mask("write to ada@example.com")
        'write to <email>'
        >>> token = redact("email", pseudonymize_key="k")("ada@example.com")
        >>> token == redact("email", pseudonymize_key="k")("ADA@example.com")
        True
    """
    chosen = kinds or ALL_REDACTORS
    unknown = set(chosen) - set(ALL_REDACTORS)
    if unknown:
        raise ValueError(f"unknown redactor(s) {sorted(unknown)}; choose from {list(ALL_REDACTORS)}")
    key = pseudonymize_key.encode() if isinstance(pseudonymize_key, str) else pseudonymize_key
    if key is not None and not key:
        raise ValueError("pseudonymize_key must not be empty")
    steps = [(kind, _PATTERNS[kind]) for kind in _PATTERNS if kind in chosen]

    def replacement(kind: Redactor) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            if kind == "card" and not _card_matches(match):
                return match.group()
            if key is None:
                return f"<{kind}>"
            # Case and spacing do not make a different person: normalise before hashing.
            normalized = re.sub(r"\s+", "", match.group()).lower()
            digest = hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()[:12]
            return f"<{kind}:{digest}>"

        return replace

    compiled = [(pattern, replacement(kind)) for kind, pattern in steps]

    def mask(text: str) -> str:
        for pattern, replace in compiled:
            text = pattern.sub(replace, text)
        return text

    return mask
