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

_SQLI_EXTENDED = re.compile(
    # Statement shapes libinjection scores low on their own (AWS's "extended patterns").
    r"\bunion\b[\s(/*]+(?:all\s+|distinct\s+)?select\b|"
    r"\b(?:sleep|benchmark|pg_sleep)\s*\(\s*\d|"
    r"\bwaitfor\s+delay\s+'|"
    r"\binformation_schema\b|"
    r"\b(?:xp_cmdshell|load_file|into\s+(?:out|dump)file)\b|"
    r";\s*(?:drop|truncate|alter)\s+(?:table|database)\b",
    re.IGNORECASE,
)


def is_bad_bot(user_agent: str) -> bool:
    lowered = user_agent.lower()
    return any(token in lowered for token in BAD_BOT_AGENTS)


def is_sql_injection(text: str) -> bool:
    return bool(text) and bool(libinjection.is_sql_injection(text)["is_sqli"])


def is_sql_injection_extended(text: str) -> bool:
    return bool(_SQLI_EXTENDED.search(text))


def is_cross_site_scripting(text: str) -> bool:
    return bool(text) and bool(libinjection.is_xss(text)["is_xss"])


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
