"""A short, readable name for a browser's User-Agent string ("Firefox on Linux")."""

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari",
# and Android also says "Linux".
BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def first_match(text: str, table: list[tuple[str, str]]) -> str:
    return next((name for marker, name in table if marker in text), "")


def short_device_name(user_agent: str) -> tuple[str, str]:
    """(browser, system); either may be empty when not recognised."""
    return first_match(user_agent, BROWSERS), first_match(user_agent, SYSTEMS)
