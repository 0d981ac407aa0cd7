"""The input guardrail: every customer message is screened before any model sees it.

Personal data (email addresses, card and phone numbers) is redacted, so it never reaches
the model provider; requests for other people's data and attempts to override the
assistant's instructions are blocked.
"""

from __future__ import annotations

import re
from typing import Any

import tracer
from demo import simulation

_PERSONAL_DATA = {
    "email": re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"),
    "card_number": re.compile(r"\b(?:\d[ -]?){12,15}\d\b"),
    "phone_number": re.compile(r"(?<!\d)\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)"),
}
_POLICY = {
    "prompt_injection": re.compile(r"ignore (all |your |the )?(previous |prior )?instructions|system prompt", re.I),
    "other_customer_data": re.compile(
        r"(address|phone|email) (of|for) (order|the person|someone)|someone else's|another customer", re.I
    ),
}


@tracer.guardrail
async def screen_message(text: str) -> dict[str, Any]:
    """Allow, redact or block a customer message; the result names what was found."""
    await simulation.current().wait(0.02, 0.06)  # a call to the moderation service
    blocked = [name for name, pattern in _POLICY.items() if pattern.search(text)]
    if blocked:
        return {"action": "block", "flags": blocked, "text": None}
    redacted, flags = text, []
    for name, pattern in _PERSONAL_DATA.items():
        redacted, count = pattern.subn(f"[{name}]", redacted)
        if count:
            flags.append(name)
    return {"action": "redact" if flags else "allow", "flags": flags, "text": redacted}
