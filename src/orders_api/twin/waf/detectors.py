"""Pattern detectors behind the emulated managed rules, after AWS's published descriptions.

Each takes one decoded view of a request component and answers whether it matches. SQL
injection and cross-site scripting use libinjection, the detector ModSecurity's Core Rule
Set uses; the others are the signatures AWS names in its rule descriptions.
"""

from __future__ import annotations

import re

import libinjection

BAD_BOT_AGENTS = (
    # Scanners' and attack tools' own user agents (AWS's examples: nessus, nmap).
    "nessus",
    "nmap",
    "nikto",
    "sqlmap",
    "masscan",
    "zgrab",
    "dirbuster",
    "gobuster",
    "dirb/",
    "wpscan",
    "acunetix",
    "netsparker",
    "havij",
    "w3af",
    "openvas",
    "arachni",
    "nuclei",
    "fimap",
    "jbrofuzz",
    "whatweb",
    "zmeu",
    "morfeus",
    "commix",
    "wfuzz",
    "ffuf",
    "hydra",
    "brutus",
    "paros",
    "webinspect",
    "appscan",
    "burpcollaborator",
    "jorgee",
    "nsplayer",
)

RESTRICTED_EXTENSIONS = frozenset(
    # System files unsafe to read or run (AWS's examples: .log, .ini).
    {
        ".asa",
        ".asax",
        ".ascx",
        ".axd",
        ".backup",
        ".bak",
        ".bat",
        ".cdx",
        ".cer",
        ".cfg",
        ".cmd",
        ".config",
        ".conf",
        ".cs",
        ".csproj",
        ".csr",
        ".dat",
        ".db",
        ".dbf",
        ".dll",
        ".dos",
        ".htr",
        ".htw",
        ".ida",
        ".idc",
        ".idq",
        ".inc",
        ".ini",
        ".key",
        ".licx",
        ".lnk",
        ".log",
        ".mdb",
        ".old",
        ".pass",
        ".pdb",
        ".pol",
        ".printer",
        ".pwd",
        ".rdb",
        ".resources",
        ".resx",
        ".sql",
        ".swp",
        ".sys",
        ".vb",
        ".vbs",
        ".vbproj",
        ".vsdisco",
        ".webinfo",
        ".xsd",
        ".xsx",
    }
)

_TRAVERSAL = re.compile(r"(?:^|[/\\=\s\"'])\.\.(?:[/\\]|%2f|%5c)", re.IGNORECASE)
_SENSITIVE_FILES = re.compile(
    r"(?:/etc/(?:passwd|shadow|group|hosts|issue)\b|/proc/self/|/proc/\d+/|"
    r"c:[/\\]+(?:windows|winnt|boot\.ini)|\bwin\.ini\b|\bboot\.ini\b)",
    re.IGNORECASE,
)
_RFI = re.compile(r"(?:https?|ftps?|file)://\[?(?:\d{1,3}\.){3}\d{1,3}", re.IGNORECASE)
_EC2_METADATA = re.compile(
    r"169\.254\.169\.254|"
    r"\b2852039166\b|"  # decimal
    r"0xa9\.?0?xfe\.?0?xa9\.?0?xfe|0xa9fea9fe|"  # hexadecimal
    r"0251\.0376\.0251\.0376|"  # octal
    r"169\.254\.43518\b|169\.16689662\b|"  # partially collapsed dotted forms
    r"::ffff:a9fe:a9fe|::ffff:169\.254\.169\.254|fd00:ec2::254|"
    r"\binstance-data\b",
    re.IGNORECASE,
)
_LOG4J_LOOKUP = re.compile(
    # ${lower:j}, ${upper:J}, ${::-j}, ${env:NOPE:-j}, ${date:'j'}: lookups that resolve to text.
    r"\$\{(?:(?:lower|upper|date):['\"]?|[^${}:]*:[^${}:]*:-|::-)([^${}'\"]*)['\"]?\}",
    re.IGNORECASE,
)
_JNDI = re.compile(r"\$\{\s*jndi\s*:", re.IGNORECASE)
_NESTED_LOOKUP = re.compile(r"\$\{[^}]{0,64}\$\{")
_JAVA_DESERIALIZATION = re.compile(
    r"java\.lang\.(?:runtime|processbuilder|reflect|class)|\.getruntime\(\)|"
    r"class\.module\.classloader|classloader\.resources|"
    r"spring\.cloud\.function\.routing-expression|"
    r"t\(java\.|rO0AB",  # rO0AB: a serialized Java object, base64-encoded
    re.IGNORECASE,
)
_EXPLOITABLE_PATH = re.compile(r"/(?:web|meta)-inf(?:/|$)|\.\.;/", re.IGNORECASE)
_LOCALHOST = re.compile(r"^\s*localhost(?::\d+)?\.?\s*$", re.IGNORECASE)

_SQLI_EXTENDED: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    # Statement shapes libinjection scores low on their own (AWS's "extended patterns"), each
    # behind the words it needs, so that a note saying "drop it at the door" costs one scan.
    # Matched against lower-cased text.
    (("union",), re.compile(r"\bunion\b[\s(/*]+(?:all\s+|distinct\s+)?select\b")),
    (("sleep", "benchmark"), re.compile(r"\b(?:sleep|benchmark|pg_sleep)\s*\(\s*\d")),
    (("waitfor",), re.compile(r"\bwaitfor\s+delay\s+'")),
    (("information_schema",), re.compile(r"\binformation_schema\b")),
    (
        ("xp_cmdshell", "load_file", "into"),
        re.compile(r"\b(?:xp_cmdshell|load_file|into\s+(?:out|dump)file)\b"),
    ),
    (
        ("drop", "truncate", "alter"),
        re.compile(r";\s*(?:drop|truncate|alter)\s+(?:table|database)\b"),
    ),
)


# Literals at least one of which any match of a detector contains (lower case): a cheap test
# on a whole component that lets benign requests skip the regular expressions.
LFI_ANCHORS = ("..", "/etc/", "/proc/", "win.ini", "boot.ini", "c:\\", "c:/")
EC2_ANCHORS = ("169.", "2852039166", "0xa9", "0251.", "a9fe", "fd00:ec2", "instance-data")
JAVA_ANCHORS = ("java.", "getruntime", "classloader", "spring.cloud", "ro0ab")
_INERT = re.compile(r"[\w.@]+(?:-[\w.@]+)*")
"""Words (in any script), numbers, SKUs, e-mail-like tokens: no quote, space, operator,
comment or markup, so nothing libinjection could read as SQL or HTML."""


RFI_ANCHORS = ("://",)
LOG4J_ANCHORS = ("${",)
EXPLOITABLE_PATH_ANCHORS = ("-inf", "..;")
SQLI_EXTENDED_ANCHORS = tuple(anchor for anchors, _ in _SQLI_EXTENDED for anchor in anchors)


def is_inert(text: str) -> bool:
    """Nothing libinjection could read as SQL or markup: skip it."""
    return text.isalnum() or bool(_INERT.fullmatch(text))


_BAD_BOT = re.compile(
    "|".join(
        rf"(?<![a-z0-9]){re.escape(agent)}" + ("" if agent.endswith("/") else r"(?![a-z0-9])")
        for agent in BAD_BOT_AGENTS
    )
)
"""A scanner's name as a word of the user agent (`nmap/7.94`, `Nikto (Evasions:None)`), not
inside a longer one (`Kinmaps/3.1`, `Roadmapper`): AWS describes the rule by examples of bad
bots' names (nessus, nmap), and a product whose name contains one is no bot."""


def is_bad_bot(user_agent: str) -> bool:
    return bool(_BAD_BOT.search(user_agent.lower()))


def _encodable(text: str) -> str:
    """`text` as libinjection can take it: a lone UTF-16 surrogate (JSON's `"\\ud800"` decodes to
    one) cannot be encoded as UTF-8, so each becomes U+FFFD, as a UTF-8 decoder would make it."""
    if text.isascii():  # the common case, without encoding the text to find out
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def is_sql_injection(text: str) -> bool:
    if not text or is_inert(text):
        return False
    return bool(libinjection.is_sql_injection(_encodable(text))["is_sqli"])


def is_sql_injection_extended(text: str) -> bool:
    lowered = text.lower()
    for anchors, pattern in _SQLI_EXTENDED:
        for anchor in anchors:
            if anchor in lowered:
                if pattern.search(lowered):
                    return True
                break
    return False


_XSS_TRIGGERS = re.compile(r"[<>=:`]")
"""Markup needs one of these; without any, libinjection never reports XSS (checked by fuzzing
300,000 strings of tags, handlers, quotes and punctuation without them)."""


def is_cross_site_scripting(text: str) -> bool:
    if not _XSS_TRIGGERS.search(text):
        return False
    return bool(libinjection.is_xss(_encodable(text))["is_xss"])


def is_local_file_inclusion(text: str) -> bool:
    return bool(_TRAVERSAL.search(text) or _SENSITIVE_FILES.search(text))


def is_remote_file_inclusion(text: str) -> bool:
    return bool(_RFI.search(text))


def is_ec2_metadata_ssrf(text: str) -> bool:
    return bool(_EC2_METADATA.search(text))


def has_restricted_extension(text: str) -> bool:
    tail = text.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    dot = tail.rfind(".")
    return dot >= 0 and tail[dot:] in RESTRICTED_EXTENSIONS


def is_log4j_lookup(text: str) -> bool:
    if "${" not in text:
        return False
    resolved = text
    for _ in range(8):  # nested lookups resolve inside out
        simpler = _LOG4J_LOOKUP.sub(lambda match: match.group(1), resolved)
        if simpler == resolved:
            break
        resolved = simpler
    return bool(_JNDI.search(resolved) or _NESTED_LOOKUP.search(text))


def is_java_deserialization(text: str) -> bool:
    return bool(_JAVA_DESERIALIZATION.search(text))


def is_exploitable_path(path: str) -> bool:
    return bool(_EXPLOITABLE_PATH.search(path))


def is_localhost(host: str) -> bool:
    return bool(_LOCALHOST.match(host))
