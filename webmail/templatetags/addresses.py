from email.utils import getaddresses

from django import template

register = template.Library()


@register.filter
def people(header: str) -> list[dict]:
    """``"Ann <ann@example.org>, bob@example.org"`` as [{name, address}, …] for display:
    names by default, full addresses on demand."""
    found = getaddresses([header or ""])
    if not any(address for _name, address in found):
        return [{"name": header, "address": ""}] if header else []
    return [{"name": name, "address": address} for name, address in found if name or address]
