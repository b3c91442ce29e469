"""Mappings: how a CRM's (or any) export maps onto the canonical tables, declared as data (YAML).

The built-in mappings live in ``pilotage/importer/mappings/<format>.yaml``
(``pilotage import --show-mapping hubspot`` prints one); a user mapping has the
same shape (docs/import.md). Summary::

    format: hubspot                 # the name used by --format
    label: HubSpot
    defaults:                       # per language of the headers found
      fr: {date_order: dmy, decimal: ","}
    ignore: ["*dictionary*"]        # files of a folder to leave out
    status_keywords:                # stages not in the mapping: won/lost told by their whole name
      won: [won, closed won, gagne]  # (no case, accents or punctuation; never a part of the name)
      lost: [lost, closed lost, perdu]
    entities:
      deals:                        # one kind of export file
        table: opportunities        # the canonical table it fills
        detect: [opportunity_id, stage]   # canonical columns whose header must be present
        require_any: [Deal Name]    # optional: at least one of these headers must be present too
        files: ["*deal*"]           # optional: file name patterns that also point here
        sobject: Opportunity        # optional: Salesforce tree-import record type
        columns:
          opportunity_id: {en: [Record ID], fr: [ID de fiche d'informations]}
          owner_rep_id: {en: [Deal owner], ref: name_or_email, if_empty: unassigned}
          amount: [Amount, Montant]
          closed_at: {from: [Close Date], when: closed}
          kind: {from: [Deal Type], values: {New Business: new_business}}
        status:                     # rules tried in order, then the stage list
          - {from: [Status], values: {won: won, lost: lost, open: open}}
          - {from: [Lost Reason], filled: lost}
        stages:                     # in funnel order; or pipelines: {name: {aliases, stages}}
          - Appointment Scheduled: {fr: Rendez-vous programmé, probability: 0.2}
          - Closed Won: {status: won, fr: Fermé gagné}
          - Closed Lost: {status: lost}
        history:                    # optional: stage history columns, one per stage -> stage_changes
          entered: {en: ['Date entered "{stage}"'], fr: ["Date d'entrée dans « {stage} »"]}

Every key is checked (:func:`_known_options`): a typo (``colums:``, ``stage:``) is an error naming the file,
the path (``entities.deals.tables[0]``), the key and the known keys. ``sources:`` and keys starting with
``x-`` at the top level hold YAML anchors (``&sources``) reused below.

Column options: ``from`` / ``en`` / ``fr`` (header names, matched without case,
accents or punctuation), ``join`` (parts joined with a space: ``[[First Name,
Prénom], [Last Name, Nom]]``; a part may be ``{en: [...], fr: [...]}``, its French
names then tell the headers' language), ``default`` (a value for an absent column or an
empty cell), ``default_from`` (other headers tried when the cell is empty),
``values`` (raw value -> canonical value; ``other``: the value of any other
non-empty cell), ``ref`` (``id``, ``name``, ``email``
or ``name_or_email``: how the referenced rep/account/... is found; rows known
only by name or email are created), ``if_empty`` (the id used when a required
reference is empty, e.g. ``unassigned``), ``percent`` (``always``: 20 means
20 %), ``when`` (``closed``/``open``: kept only for those deals),
``date_order`` (``dmy``/``mdy``), ``decimal`` (``,``/``.``).

History templates (``history: entered:``): header patterns with one ``{stage}``
placeholder, matched like headers (no case, accents or punctuation); the
placeholder takes the stage label, optionally followed by `` (<pipeline label>)``.
A quote around the placeholder (``"``, ``'``, curly quotes, ``« »``) means the
header must show a quote there, in any style (the closing one may be missing).
Read by :mod:`pilotage.importer.history`.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from pilotage.errors import PilotageError
from pilotage.importer.values import norm_key
from pilotage.store import schema as S

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the built-ins load 10x faster
STATUSES = ("open", "won", "lost")
REF_MODES = ("id", "name", "email", "name_or_email")
COLUMN_OPTIONS = {"from", "en", "fr", "join", "default", "default_from", "values", "other", "ref", "create",
                  "if_empty", "percent", "when", "date_order", "decimal"}
HISTORY_OPTIONS = {"entered", "date_order"}
# the keys of each level of a mapping file: a typo (colums:, stage:) is refused, not silently ignored.
# sources: (or any key starting with x-) holds YAML anchors reused below (&sources ... *sources)
TOP_KEYS = {"format", "label", "description", "defaults", "ignore", "status_keywords", "entities", "sources"}
TABLE_KEYS = {"table", "columns", "where", "status", "stages", "pipelines", "history"}
ENTITY_KEYS = {"label", "detect", "require_any", "files", "sobject"}
SKIP_KEYS = {"label", "skip", "detect_headers", "files", "sobject", "require_any"}
STAGE_OPTIONS = {"status", "probability", "aliases", "en", "fr"}
PIPELINE_KEYS = {"aliases", "stages"}
STATUS_RULE_KEYS = {"from", "values", "filled"}
WHERE_KEYS = {"from", "in"}
LANGUAGES = ("en", "fr")
DEFAULT_OPTIONS = {"date_order", "decimal"}
QUOTES = "\"'\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019\u201a`\u00b4"  # " ' “ ” „ « » ‘ ’ ‚ ` ´
_NO_OTHER = object()


class MappingError(PilotageError):
    pass


@dataclass
class ColumnSpec:
    target: str
    headers: list[str] = field(default_factory=list)
    french: set[str] = field(default_factory=set)  # norm keys of the French headers
    join: list[list[str]] = field(default_factory=list)
    default: str | None = None
    default_from: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # norm key -> canonical value
    other: object = _NO_OTHER  # the value of a non-empty cell not in values (None: empty); absent: kept as is
    ref: str | None = None
    create: bool = True
    if_empty: str | None = None
    percent: str | None = None
    when: str | None = None
    date_order: str | None = None
    decimal: str | None = None

    def all_headers(self) -> list[str]:
        return self.headers + [h for part in self.join for h in part] + self.default_from


@dataclass
class StageSpec:
    name: str
    aliases: list[str]
    status: str = "open"
    probability: float | None = None


@dataclass
class PipelineSpec:
    name: str  # canonical pipeline name
    aliases: list[str]
    stages: list[StageSpec]

    def positions(self) -> dict[str, int]:
        """Funnel positions: open stages in order, then the won stage(s); lost stages have none."""
        ordered = [s for s in self.stages if s.status == "open"] + [s for s in self.stages if s.status == "won"]
        return {s.name: i + 1 for i, s in enumerate(ordered)}


@dataclass
class StatusRule:
    headers: list[str]
    values: dict[str, str] = field(default_factory=dict)  # norm key -> status
    filled: str | None = None  # status when the cell is not empty


@dataclass
class HistoryTemplate:
    """One header pattern of stage history columns: 'Date entered "{stage}"'."""

    text: str
    regex: re.Pattern

    def stage_of(self, header: str) -> str | None:
        """The text the placeholder takes in ``header`` (accents stripped, lower case, outer quotes removed;
        a pipeline label in parentheses kept), or None when the header does not fit the pattern."""
        m = self.regex.match(_fold(header))
        if not m:
            return None
        stage = m.group("stage").strip(QUOTES + " \t")
        return stage if re.search(r"[a-z0-9]", stage) else None


@dataclass
class HistorySpec:
    """Stage history columns of an opportunities export (HubSpot's 'Date entered "<stage> (<pipeline>)"'): each
    filled cell is a stage_changes row (the deal, the column's stage, the date)."""

    entered: list[HistoryTemplate]
    date_order: str | None = None

    def entered_stage(self, header: str) -> str | None:
        for t in self.entered:
            stage = t.stage_of(header)
            if stage is not None:
                return stage
        return None


@dataclass
class TableSpec:
    table: str
    columns: dict[str, ColumnSpec]
    where: tuple[list[str], set[str]] | None = None  # (headers, norm keys of accepted values)
    status: list[StatusRule] = field(default_factory=list)
    pipelines: list[PipelineSpec] = field(default_factory=list)  # name "*" = any pipeline
    history: HistorySpec | None = None


@dataclass
class Entity:
    name: str
    label: str
    tables: list[TableSpec]
    detect: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sobject: str | None = None
    skip: str | None = None  # recognised but not imported: why
    require_any: list[str] = field(default_factory=list)  # at least one of these headers must be present

    def header_keys(self) -> set[str]:
        keys = set()
        for t in self.tables:
            for c in t.columns.values():
                keys |= {norm_key(h) for h in c.all_headers()}
            for r in t.status:
                keys |= {norm_key(h) for h in r.headers}
            if t.where:
                keys |= {norm_key(h) for h in t.where[0]}
        return keys

    def matches_file(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name.lower(), p.lower()) for p in self.files)


@dataclass
class Mapping:
    format: str
    label: str
    entities: list[Entity]
    description: str = ""
    defaults: dict[str, dict[str, str]] = field(default_factory=dict)
    status_keywords: dict[str, list[str]] = field(default_factory=dict)
    ignore: list[str] = field(default_factory=list)  # file name patterns left out of a folder
    path: Path | None = None
    text: str = ""
    builtin: bool = False  # one of pilotage/importer/mappings/*.yaml (not a user's --mapping file)

    def where_to_edit(self) -> str:
        """For error hints: where a stage or a header is added. A built-in mapping is copied first (its name
        works with --show-mapping); a user's mapping file is edited (--show-mapping <its format> would fail)."""
        if self.builtin:
            return (f"a mapping file (pilotage import --show-mapping {self.format} > my-mapping.yaml, "
                    f"then --mapping my-mapping.yaml)")
        return f"the mapping file {self.path}" if self.path else "the mapping file"


# --------------------------------------------------------------------------- loading
def _strs(v, where: str) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (str, int, float)):
        return [str(v)]
    if isinstance(v, list) and all(isinstance(x, (str, int, float)) for x in v):
        return [str(x) for x in v]
    raise MappingError(f"{where}: expected a header name or a list of names")


def _known_options(keys, known: set[str], where: str, what: str = "option") -> None:
    """Refuse the keys of a level of the mapping file that are not ``known`` (a typo: colums:, stage:)."""
    unknown = set(keys) - known
    if unknown:
        names = sorted(map(str, unknown))
        close = difflib.get_close_matches(names[0], sorted(known), n=1) if len(names) == 1 else []
        guess = f" (did you mean {close[0]}?)" if close else ""
        raise MappingError(f"{where}: unknown {what}(s) {', '.join(names)}{guess}; known: {', '.join(sorted(known))}")


def _column(target: str, spec, where: str) -> ColumnSpec:
    c = ColumnSpec(target)
    if isinstance(spec, (str, list)):
        c.headers = _strs(spec, where)
        return c
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: expected a header, a list of headers or options")
    _known_options(spec, COLUMN_OPTIONS, where)
    c.headers = _strs(spec.get("from"), where) + _strs(spec.get("en"), where) + _strs(spec.get("fr"), where)
    c.french = ({norm_key(h) for h in _strs(spec.get("fr"), where)}
                - {norm_key(h) for h in _strs(spec.get("from"), where) + _strs(spec.get("en"), where)})
    for k, part in enumerate(spec.get("join") or []):
        if isinstance(part, dict):  # {en: [...], fr: [...]}: the French names tell the headers' language
            _known_options(part, {"from", "en", "fr"}, f"{where}.join[{k}]", "key")
            others = _strs(part.get("from"), f"{where}.join[{k}]") + _strs(part.get("en"), f"{where}.join[{k}]")
            french = _strs(part.get("fr"), f"{where}.join[{k}]")
            c.join.append(others + french)
            c.french |= {norm_key(h) for h in french} - {norm_key(h) for h in others}
        else:
            c.join.append(_strs(part, f"{where}.join[{k}]"))
    if spec.get("default") is not None:
        c.default = str(spec["default"])
    c.default_from = _strs(spec.get("default_from"), where)
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise MappingError(f"{where}.values: expected raw value: canonical value pairs")
    c.values = {norm_key(str(k)): (None if v is None else str(v)) for k, v in values.items()}
    if "other" in spec:
        c.other = None if spec["other"] is None else str(spec["other"])
    if spec.get("ref") is not None:
        if spec["ref"] not in REF_MODES:
            raise MappingError(f"{where}.ref: {spec['ref']!r}: expected one of {', '.join(REF_MODES)}")
        c.ref = spec["ref"]
    c.create = bool(spec.get("create", True))
    c.if_empty = None if spec.get("if_empty") is None else str(spec["if_empty"])
    if spec.get("percent") not in (None, "always", "fraction"):
        raise MappingError(f"{where}.percent: expected always or fraction")
    c.percent = spec.get("percent")
    if spec.get("when") not in (None, "closed", "open", "won", "lost"):
        raise MappingError(f"{where}.when: expected closed, open, won or lost")
    c.when = spec.get("when")
    if spec.get("date_order") not in (None, "dmy", "mdy"):
        raise MappingError(f"{where}.date_order: expected dmy or mdy")
    c.date_order = spec.get("date_order")
    if spec.get("decimal") not in (None, ",", "."):
        raise MappingError(f"{where}.decimal: expected \",\" or \".\"")
    c.decimal = spec.get("decimal")
    return c


def _stage(item, where: str) -> StageSpec:
    if isinstance(item, str):
        return StageSpec(item, [])
    if isinstance(item, dict) and "name" in item:
        name, opts = str(item["name"]), item
        _known_options(item, STAGE_OPTIONS | {"name"}, f"{where}: stage {name!r}", "key")
    elif isinstance(item, dict) and len(item) == 1:
        name, opts = next(iter(item.items()))
        name = str(name)
        if isinstance(opts, str):
            opts = {"status": opts}
        opts = opts or {}
        if not isinstance(opts, dict):
            raise MappingError(f"{where}: stage {name!r}: expected a status (open, won, lost) or "
                               f"{{{', '.join(sorted(STAGE_OPTIONS))}}}")
        _known_options(opts, STAGE_OPTIONS, f"{where}: stage {name!r}", "key")
    else:
        raise MappingError(f"{where}: expected a stage name, {{name: status}} or {{name: {{options}}}}")
    status = opts.get("status", "open")
    if status not in STATUSES:
        raise MappingError(f"{where}: stage {name!r}: status {status!r}: expected open, won or lost")
    aliases = _strs(opts.get("aliases"), where) + _strs(opts.get("en"), where) + _strs(opts.get("fr"), where)
    p = opts.get("probability")
    if p is not None and not (0 <= float(p) <= 1):
        raise MappingError(f"{where}: stage {name!r}: probability {p}: expected a number between 0 and 1")
    return StageSpec(name, aliases, status, None if p is None else float(p))


def _fold(s: str) -> str:
    """Lower case without accents, punctuation kept (history templates are matched on it)."""
    s = unicodedata.normalize("NFKD", str(s))
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


def _words(s: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", _fold(s))


def _template(text: str, where: str) -> HistoryTemplate:
    if text.count("{stage}") != 1:
        raise MappingError(f"{where}: {text!r}: expected one {{stage}} placeholder (the stage label in the header)")
    pre, post = text.split("{stage}")
    pre_words, post_words = _words(pre), _words(post)
    if not pre_words and not post_words:
        raise MappingError(f"{where}: {text!r}: expected words around {{stage}} (e.g. 'Date entered {{stage}}')")
    nw, q = "[^a-z0-9]", re.escape(QUOTES)
    rx = "^" + nw + "*" + (nw + "+").join(re.escape(w) for w in pre_words)
    if pre_words:
        rx += "(?![a-z0-9])"
    if pre.rstrip()[-1:] in QUOTES and pre.strip():  # a quote before the placeholder: one must be there
        rx += f"[^a-z0-9{q}]*[{q}]"
    rx += "(?P<stage>.+)"
    if post_words:
        rx += nw + "+" + (nw + "+").join(re.escape(w) for w in post_words)
    rx += nw + "*$"
    return HistoryTemplate(text, re.compile(rx))


def _history(body, table: str, columns: dict, where: str) -> HistorySpec:
    if table != "opportunities" or "opportunity_id" not in columns:
        raise MappingError(f"{where}: stage history columns belong to a table of opportunities with an "
                           f"opportunity_id column")
    if isinstance(body, (str, list)):
        body = {"entered": body}
    if not isinstance(body, dict):
        raise MappingError(f"{where}: expected {{entered: [header templates with {{stage}}]}}")
    _known_options(body, HISTORY_OPTIONS, where)
    entered = body.get("entered")
    if isinstance(entered, dict):
        bad = set(entered) - {"from", "en", "fr"}
        if bad:
            raise MappingError(f"{where}.entered: unknown key(s) {', '.join(sorted(map(str, bad)))}: "
                               f"expected from, en or fr")
        texts = [t for k in ("from", "en", "fr") for t in _strs(entered.get(k), f"{where}.entered")]
    else:
        texts = _strs(entered, f"{where}.entered")
    if not texts:
        raise MappingError(f"{where}.entered: expected header templates such as 'Date entered \"{{stage}}\"'")
    if body.get("date_order") not in (None, "dmy", "mdy"):
        raise MappingError(f"{where}.date_order: expected dmy or mdy")
    return HistorySpec([_template(t, f"{where}.entered") for t in texts], body.get("date_order"))


def _table_spec(table: str, body: dict, where: str) -> TableSpec:
    if table is None:
        raise MappingError(f"{where}: table: (the canonical table it fills) is required")
    if table not in S.BY_NAME:
        raise MappingError(f"{where}.table: unknown table {table!r}: expected one of {', '.join(S.BY_NAME)}")
    cols = body.get("columns") or {}
    if not isinstance(cols, dict):
        raise MappingError(f"{where}.columns: expected canonical column: header pairs")
    t = S.table(table)
    spec = TableSpec(table, {})
    for target, c in cols.items():
        if target not in t.column_names:
            raise MappingError(f"{where}.columns.{target}: not a column of {table}: "
                               f"expected one of {', '.join(t.column_names)}")
        spec.columns[target] = _column(target, c, f"{where}.columns.{target}")
    if body.get("where"):
        w = body["where"]
        if not isinstance(w, dict) or "from" not in w or "in" not in w:
            raise MappingError(f"{where}.where: expected {{from: [headers], in: [values]}}")
        _known_options(w, WHERE_KEYS, f"{where}.where", "key")
        spec.where = (_strs(w["from"], where), {norm_key(v) for v in _strs(w["in"], where)})
    for k, rule in enumerate(body.get("status") or []):
        if not isinstance(rule, dict) or "from" not in rule:
            raise MappingError(f"{where}.status[{k}]: expected {{from: [headers], values: {{...}}}} "
                               f"or {{from: [headers], filled: status}}")
        _known_options(rule, STATUS_RULE_KEYS, f"{where}.status[{k}]", "key")
        if not isinstance(rule.get("values") or {}, dict):
            raise MappingError(f"{where}.status[{k}].values: expected raw value: status pairs")
        vals = {norm_key(str(a)): str(b) for a, b in (rule.get("values") or {}).items()}
        bad = [v for v in list(vals.values()) + [rule.get("filled")] if v is not None and v not in STATUSES]
        if bad:
            raise MappingError(f"{where}.status[{k}]: {bad[0]!r}: expected open, won or lost")
        spec.status.append(StatusRule(_strs(rule["from"], where), vals, rule.get("filled")))
    if body.get("stages") is not None:
        if not isinstance(body["stages"], list):
            raise MappingError(f"{where}.stages: expected a list of stages, in funnel order")
        spec.pipelines.append(PipelineSpec("*", [], [_stage(s, f"{where}.stages[{i}]")
                                                           for i, s in enumerate(body["stages"])]))
    pipelines = body.get("pipelines") or {}
    if not isinstance(pipelines, dict):
        raise MappingError(f"{where}.pipelines: expected {{name: {{aliases: [...], stages: [...]}}}}")
    for name, p in pipelines.items():
        if isinstance(p, list):
            p = {"stages": p}
        if not isinstance(p, dict):
            raise MappingError(f"{where}.pipelines.{name}: expected {{aliases: [...], stages: [...]}} or a list "
                               f"of stages")
        _known_options(p, PIPELINE_KEYS, f"{where}.pipelines.{name}", "key")
        spec.pipelines.append(PipelineSpec(str(name), _strs(p.get("aliases"), where),
                                           [_stage(s, f"{where}.pipelines.{name}.stages[{i}]")
                                            for i, s in enumerate(p.get("stages") or [])]))
    if body.get("history") is not None:
        spec.history = _history(body["history"], table, spec.columns, f"{where}.history")
    return spec


def parse_mapping(doc: dict, path: Path | None = None, text: str = "") -> Mapping:
    src = str(path) if path else "mapping"
    if not isinstance(doc, dict):
        raise MappingError(f"{src}: expected a YAML mapping with format: and entities:")
    _known_options({k for k in doc if not str(k).startswith("x-")}, TOP_KEYS, src, "key")
    fmt = doc.get("format") or (path.stem if path else None)
    if not fmt:
        raise MappingError(f"{src}: format: (a name) is required")
    ents = doc.get("entities")
    if not isinstance(ents, dict) or not ents:
        raise MappingError(f"{src}: entities: is required (one entry per kind of export file)")
    entities = []
    for name, body in ents.items():
        where = f"{src}: entities.{name}"
        if not isinstance(body, dict):
            raise MappingError(f"{where}: expected table:, columns: ...")
        if body.get("skip"):
            _known_options(body, SKIP_KEYS, where, "key")
            entities.append(Entity(str(name), body.get("label", str(name)), [],
                                   detect=_strs(body.get("detect_headers"), where),
                                   files=_strs(body.get("files"), where), sobject=body.get("sobject"),
                                   skip=str(body["skip"]), require_any=_strs(body.get("require_any"), where)))
            continue
        if "tables" in body:
            # each table of the list carries its own columns:, status:...: none at the entity's level
            _known_options(body, ENTITY_KEYS | {"tables"}, where, "key")
            if not isinstance(body["tables"], list) or not body["tables"]:
                raise MappingError(f"{where}.tables: expected a list of {{table:, columns: ...}}")
            tables = []
            for k, tb in enumerate(body["tables"]):
                if not isinstance(tb, dict):
                    raise MappingError(f"{where}.tables[{k}]: expected table:, columns: ...")
                _known_options(tb, TABLE_KEYS, f"{where}.tables[{k}]", "key")
                tables.append(_table_spec(tb.get("table"), tb, f"{where}.tables[{k}]"))
        elif "table" in body:
            _known_options(body, ENTITY_KEYS | TABLE_KEYS, where, "key")
            tables = [_table_spec(body["table"], body, where)]
        else:
            raise MappingError(f"{where}: table: (the canonical table it fills) is required")
        detect = _strs(body.get("detect"), where)
        for d in detect:
            if not any(d in t.columns for t in tables):
                raise MappingError(f"{where}.detect: {d!r} is not one of its mapped columns")
        entities.append(Entity(str(name), str(body.get("label", name)), tables, detect,
                               _strs(body.get("files"), where), body.get("sobject"),
                               require_any=_strs(body.get("require_any"), where)))
    defaults = _defaults(doc.get("defaults"), f"{src}: defaults")
    keywords = doc.get("status_keywords") or {}
    if not isinstance(keywords, dict):
        raise MappingError(f"{src}: status_keywords: expected {{won: [names], lost: [names]}}")
    _known_options(keywords, {"won", "lost"}, f"{src}: status_keywords", "key")
    kw = {k: [norm_key(x) for x in _strs(v, f"{src}: status_keywords.{k}")] for k, v in keywords.items()}
    return Mapping(str(fmt), str(doc.get("label", fmt)), entities, str(doc.get("description", "")).strip(),
                   defaults, kw, _strs(doc.get("ignore"), f"{src}: ignore"), path, text)


def _defaults(body, where: str) -> dict[str, dict[str, str]]:
    """defaults: {fr: {date_order: dmy, decimal: ","}}: the conventions of the headers' language."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise MappingError(f"{where}: expected {{fr: {{date_order: dmy, decimal: \",\"}}, en: {{...}}}}")
    _known_options(body, set(LANGUAGES), where, "language")
    out = {}
    for lang, opts in body.items():
        if not isinstance(opts, dict):
            raise MappingError(f"{where}.{lang}: expected {{date_order: dmy or mdy, decimal: \",\" or \".\"}}")
        _known_options(opts, DEFAULT_OPTIONS, f"{where}.{lang}", "key")
        if opts.get("date_order") not in (None, "dmy", "mdy"):
            raise MappingError(f"{where}.{lang}.date_order: expected dmy or mdy")
        if opts.get("decimal") not in (None, ",", "."):
            raise MappingError(f"{where}.{lang}.decimal: expected \",\" or \".\"")
        out[str(lang)] = {str(k): str(v) for k, v in opts.items() if v is not None}
    return out


def ignored(mappings: list[Mapping], name: str) -> bool:
    return any(fnmatch.fnmatch(name.lower(), p.lower()) for m in mappings for p in m.ignore)



def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MappingError(f"cannot read the mapping file {path}: {exc.strerror}") from None
    try:
        doc = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from None
    return parse_mapping(doc, path, text)


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("pilotage.importer").joinpath("mappings").iterdir()
                  if p.name.endswith(".yaml"))


_CACHE: dict[str, Mapping] = {}


def builtin(name: str) -> Mapping:
    if name not in _CACHE:
        if name not in builtin_names():
            raise MappingError(f"unknown format {name!r}: expected one of {', '.join(builtin_names())} "
                               f"(or give your own with --mapping FILE.yaml)")
        res = resources.files("pilotage.importer").joinpath("mappings", f"{name}.yaml")
        text = res.read_text(encoding="utf-8")
        _CACHE[name] = parse_mapping(yaml.load(text, Loader=_Loader), Path(str(res)), text)
        _CACHE[name].builtin = True
    return _CACHE[name]


def builtins() -> list[Mapping]:
    return [builtin(n) for n in builtin_names()]


def show(name: str) -> str:
    """The declared data file of a format (``pilotage import --show-mapping NAME``)."""
    if Path(name).suffix in (".yaml", ".yml") and Path(name).exists():
        return Path(name).read_text(encoding="utf-8")
    return builtin(name).text
