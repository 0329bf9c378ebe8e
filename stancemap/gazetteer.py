"""The actor gazetteer: who can be a source or a target, under which names, and where they are mentioned."""

from __future__ import annotations

import hashlib
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from babel import Locale
from babel.core import get_global

from stancemap.errors import DataError
from stancemap.paths import data_dir
from stancemap.text import Token, fold, token_keys, tokenize

LANGUAGES = ("en", "fr", "de", "es")
KINDS = ("country", "organization", "group")
# The source of a statement whose stance is the writer's own (NewsMTSC's sentiment toward a target): it has no
# mention in the text and is never masked.
WRITER = "(writer)"


def inflect_demonym(base: str, lang: str) -> set[str]:
    """Return the feminine and plural forms of a demonym adjective given its masculine singular form.

    The rules are the regular ones of each language; irregular forms go in the gazetteer's aliases.
    """
    forms = {base}
    if lang == "fr":
        if base.endswith("e"):
            forms |= {base + "s"}
        elif base.endswith(("en", "on")):
            forms |= {base + "ne", base + "s", base + "nes"}
        elif base.endswith(("s", "x")):
            forms |= {base + "e", base + "es"}
        elif base.endswith("c"):
            # "turc" -> "turque", "grec" -> "grecque".
            feminine = base + "que" if base.endswith("ec") else base[:-1] + "que"
            forms |= {base + "s", feminine, feminine + "s"}
        else:
            forms |= {base + "e", base + "s", base + "es"}
    elif lang == "en":
        if not base.endswith(("s", "sh", "ch", "ese")):
            forms.add(base + "s")
    elif lang == "de":
        stem = base[:-1] if base.endswith("e") else base
        forms |= {stem + suffix for suffix in ("e", "en", "er", "es", "em")}
    elif lang == "es":
        if base.endswith("o"):
            forms |= {base[:-1] + suffix for suffix in ("a", "os", "as")}
        elif base.endswith(("e", "a")):  # "belga", "chipriota", "croata" are both genders
            forms.add(base + "s")
        else:
            # "francés" -> "francesa": matching folds accents, so the unaccented stem is enough.
            stem = fold(base)
            forms |= {stem + "a", stem + "es", stem + "as"}
    return forms


# Words that may stand around an actor's form in a source or target name without changing who it is: the articles
# and the English possessive, and the titles of the parts of a state that speak for it. A title next to a mention
# in a text is masked with it (stancemap.features), the articles are not.
STATE_ARTICLES = frozenset(token_keys("the a an s of le la les l de du des d der die das den dem el los las del"))
STATE_TITLES = frozenset(token_keys(" ".join((
    "government president prime minister ministry foreign affairs secretary state army armed forces troops",
    "military navy officials official authorities diplomats diplomacy leader leaders leadership regime",
    "administration delegation envoy ambassador embassy chancellor spokesperson spokesman spokeswoman",
    "gouvernement president presidente premier ministre ministere affaires etrangeres armee forces troupes",
    "autorites diplomates diplomatie dirigeant dirigeants regime delegation emissaire ambassadeur ambassade",
    "chancelier chanceliere porte parole chef etat executif",
    "defence defense interior home finance treasury trade economy justice energy health top chief head senior",
    "deputy vice diplomat negotiator representative permanent mission intelligence police air",
    "interieur finances tresor commerce economie sante energie adjoint negociateur representant",
    "permanente renseignement marine roi reine king queen crown prince",
    "presidency presidence ambassadrice secretaire general generale",
    "congress congres senate senat parliament parlement lawmakers legislators parlementaires deputes",
    "mr mrs ms dr m mme herr frau senor senora",  # honorifics: "Mr Modi", "M. Poutine"
    "regierung behorden fuhrung ministerium minister ministerin aussenminister aussenministerin aussenministerium",
    "prasident prasidentin kanzler kanzlerin botschafter botschafterin botschaft streitkrafte truppen",
    "diplomaten sprecher sprecherin staatschef regierungschef verteidigungsminister militar",
    "gobierno autoridades ministro ministra ministerio canciller cancilleria ejercito fuerzas armadas tropas",
    "diplomaticos embajador embajadora embajada portavoz jefe lider regimen delegacion",
)))) - STATE_ARTICLES
STATE_WORDS = STATE_ARTICLES | STATE_TITLES


def _not_actors(entry: Any, path: Path) -> tuple[set[str], dict[str, dict[str, list[str]]]]:
    """Read the ``[not_actors]`` table: ``demonyms`` per language, ``phrases``, and ``capitals`` per language."""
    if not isinstance(entry, dict) or not set(entry) <= {"demonyms", "phrases", "capitals"}:
        raise DataError(f"{path}: [not_actors] holds only demonyms (per language), phrases and capitals")
    capitals = entry.get("capitals", {})
    if not all(isinstance(v, dict) and set(v) == {"words", "cues"} for v in capitals.values()):
        raise DataError(f"{path}: [not_actors.capitals] gives each language its words and cues")
    return set(entry.get("phrases", [])).union(*_inflected(entry.get("demonyms", {})).values()), capitals


def _inflected(demonyms: dict[str, list[str]]) -> dict[str, set[str]]:
    """Return every form of a ``demonyms`` table (base forms per language), per language."""
    return {lang: set().union(*(inflect_demonym(base, lang) for base in bases)) for lang, bases in demonyms.items()}


def _is_acronym(form: str) -> bool:
    # Short all-capital forms ("US", "UN", "EU", "AU", "UE") are ordinary words once lower-cased.
    letters = form.replace(".", "")
    return letters.isalpha() and letters.isupper() and len(letters) <= 5


def _has_lower(word: str) -> bool:
    return any(c.islower() for c in word)


class Mention(NamedTuple):
    """One mention of an actor in a text: the actor id and the character span of its surface form."""

    actor: str
    start: int
    end: int


@dataclass
class Actor:
    """An actor the gazetteer knows: a country, an organisation or a group."""

    id: str
    kind: str
    name: str
    forms: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-friendly form of the actor."""
        return {"id": self.id, "kind": self.kind, "name": self.name, "names": self.forms}


@dataclass
class Resolution:
    """What a source or target string refers to in one text."""

    actor: str
    known: bool
    mentions: list[tuple[int, int]]

    @property
    def found(self) -> bool:
        """Whether the actor is mentioned in the text."""
        return bool(self.mentions)


class Gazetteer:
    """Actors and the index that finds their mentions.

    Parameters
    ----------
    actors : list of Actor
        The actors, with every surface form they may take (names, aliases, inflected demonyms).
    sha256 : str, optional
        The hash of the file the actors were read from, recorded in model manifests.
    not_actors : iterable of str, optional
        Phrases that contain an actor's form but name no actor ("Latin American", "Faroe Islands"): they are
        matched like forms, longest first, so the shorter form inside them is not found there.
    capitals : dict, optional
        Per language, ``words``: acronyms that are also words of the language ("UN", "AU" in French), and
        ``cues``: common words of it. In a run of capitals ("URGENT - UN ACCORD AU SOMMET") such an acronym is
        read as a word when another word of the run is one of that language's cues or words.
    """

    def __init__(self, actors: list[Actor], *, sha256: str | None = None, not_actors: Iterable[str] = (),
                 capitals: dict[str, dict[str, list[str]]] | None = None):
        self.actors = {actor.id: actor for actor in actors}
        self.sha256 = sha256
        self.not_actors = sorted(set(not_actors))
        self.capitals = capitals or {}
        # Folded look-ups: for each listed word, the words of its language(s) that show the run is in it.
        self._capital_words: dict[str, set[str]] = defaultdict(set)
        for lists in self.capitals.values():
            evidence = {w.casefold() for w in lists["words"] + lists["cues"]}
            for word in lists["words"]:
                self._capital_words[word.casefold()] |= evidence
        self._lookups: dict[str, str | None] = {}
        claims: dict[tuple[tuple[str, ...], tuple[str, ...] | None], set[str]] = defaultdict(set)
        lowercase: set[tuple[str, ...]] = set()
        for actor in actors:
            for forms in actor.forms.values():
                for form in forms:
                    keys = token_keys(form)
                    if keys:
                        exact = tuple(t.text for t in tokenize(form)) if _is_acronym(form) else None
                        claims[(keys, exact)].add(actor.id)
                        if not form[:1].isupper():
                            lowercase.add(keys)
        # A form two actors claim ("congolais", "Dominican") cannot tell them apart: it is not matched at all.
        self.ambiguous = {" ".join(k): sorted(ids) for (k, _), ids in claims.items() if len(ids) > 1}
        # A form only ever written with a capital is a proper name: in running text it needs a capitalised word
        # ("îles Salomon" has one), so German "Island" (Iceland) does not find the English word "island".
        self._index: dict[tuple[str, ...], list[tuple[str | None, tuple[str, ...] | None, bool]]] = defaultdict(list)
        for (keys, exact), ids in claims.items():
            if len(ids) == 1:
                self._index[keys].append((next(iter(ids)), exact, keys not in lowercase))
        for phrase in self.not_actors:
            if keys := token_keys(phrase):
                # Listed first, so that it wins over an actor's form with the same words.
                self._index[keys].insert(0, (None, None, phrase[:1].isupper()))
        self._index = dict(self._index)
        # The lengths of the forms that start with each word, longest first: most words start none.
        starts: dict[str, set[int]] = defaultdict(set)
        for keys in self._index:
            starts[keys[0]].add(len(keys))
        self._lengths = {word: tuple(sorted(lengths, reverse=True)) for word, lengths in starts.items()}

    @classmethod
    def load(cls, path: str | Path | None = None) -> Gazetteer:
        """Read a gazetteer file (default: ``data/actors.toml``), adding CLDR's country names in every language."""
        path = Path(path or data_dir() / "actors.toml")
        try:
            data = path.read_bytes()
            raw = tomllib.loads(data.decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise DataError(f"{path}: cannot read the gazetteer: {exc}") from exc
        alpha3 = {k: v[0] for k, v in get_global("territory_aliases").items() if len(k) == 3 and len(v) == 1}
        territories = {lang: Locale(lang).territories for lang in LANGUAGES}
        actors = []
        not_actors, capitals = _not_actors(raw.pop("not_actors", {}), path)
        for actor_id, entry in raw.items():
            kind = entry.get("kind")
            if kind not in KINDS:
                raise DataError(f"{path}: [{actor_id}] kind must be one of {', '.join(KINDS)}, not {kind!r}")
            forms: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
            iso2 = entry.get("iso2") or alpha3.get(actor_id)
            name = entry.get("name")
            if kind == "country":
                if iso2 is None or iso2 not in territories["en"]:
                    raise DataError(f"{path}: [{actor_id}] is not an ISO 3166 alpha-3 code CLDR knows")
                for lang in LANGUAGES:
                    forms[lang].add(territories[lang][iso2])
                name = name or territories["en"][iso2]
            if not name:
                raise DataError(f"{path}: [{actor_id}] needs a name")
            for lang, inflected in _inflected(entry.get("demonyms", {})).items():
                forms.setdefault(lang, set()).update(inflected)
            for lang, aliases in entry.get("aliases", {}).items():
                forms.setdefault(lang, set()).update(aliases)
            not_names = entry.get("not_names", [])
            if not isinstance(not_names, list) or not all(isinstance(n, str) for n in not_names):
                raise DataError(f"{path}: [{actor_id}] not_names is a list of names")
            for lang in forms:
                forms[lang] -= set(not_names)
            # German names take a genitive -s ("Russlands", "Moskaus", "des Kremls").
            # Not acronyms: German writes "des IS", "der UN", and "ISs" would be matched in any case ("ISS").
            forms["de"] |= {f + "s" for f in forms["de"]
                            if " " not in f and f[:1].isupper() and f[-1] not in "sxzß" and not _is_acronym(f)}
            actors.append(Actor(actor_id, kind, name, {lang: sorted(f) for lang, f in forms.items()}))
        return cls(actors, sha256=hashlib.sha256(data).hexdigest(), not_actors=not_actors, capitals=capitals)

    def __repr__(self) -> str:
        return f"Gazetteer({len(self.actors)} actors)"

    def __getstate__(self) -> dict[str, Any]:
        # Only the actors are pickled with a model; the index is rebuilt on loading, so a model keeps working
        # when the index's layout changes between versions.
        return {"actors": list(self.actors.values()), "sha256": self.sha256, "not_actors": self.not_actors,
                "capitals": self.capitals}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["actors"], sha256=state["sha256"],  # type: ignore[misc]
                      not_actors=state.get("not_actors", ()), capitals=state.get("capitals"))

    def __len__(self) -> int:
        return len(self.actors)

    def __contains__(self, actor_id: object) -> bool:
        return actor_id in self.actors

    def find_mentions(self, text: str, *, any_case: bool = False) -> list[Mention]:
        """Find every actor mention in ``text``, longest form first, left to right, without overlaps.

        Case and accents are folded, except that a proper name needs a capitalised word in running text and a
        short acronym must be in capitals; ``any_case`` lifts the first rule (for names typed by a user).
        """
        tokens = tokenize(text)
        keys = [t.key for t in tokens]
        mentions = []
        i = 0
        while i < len(tokens):
            match = None
            for n in self._lengths.get(keys[i], ()):
                if i + n > len(tokens):
                    continue
                for actor_id, exact, proper in self._index.get(tuple(keys[i : i + n]), ()):
                    if exact is not None and exact != tuple(t.text for t in tokens[i : i + n]):
                        continue
                    if exact is not None and n == 1 and self._word_in_capitals(tokens, i):
                        continue
                    if any_case or not proper or any(t.text[:1].isupper() for t in tokens[i : i + n]):
                        match = actor_id, n
                        break
                if match:
                    break
            if match:
                if match[0] is not None:  # a phrase that names no actor is read over, not reported
                    mentions.append(Mention(match[0], tokens[i].start, tokens[i + match[1] - 1].end))
                i += match[1]
            else:
                i += 1
        return mentions

    def _word_in_capitals(self, tokens: list[Token], i: int) -> bool:
        """Whether the acronym at ``tokens[i]`` is a word of a line in capitals ("UN ACCORD AU SOMMET")."""
        evidence = self._capital_words.get(tokens[i].key)
        if not evidence:
            return False
        start = end = i
        while start > 0 and not _has_lower(tokens[start - 1].text):  # figures ("12") do not end the line
            start -= 1
        while end + 1 < len(tokens) and not _has_lower(tokens[end + 1].text):
            end += 1
        # Three words in capitals make a shouted line; "the UN and the AU" in running text is not one.
        return end - start >= 2 and any(tokens[j].key in evidence for j in range(start, end + 1) if j != i)

    def lookup(self, name: str) -> str | None:
        """Return the id of the actor ``name`` denotes, if any.

        ``name`` may be an id ("RUS"), any form ("Kremlin", "la Corée du Nord", "Russia's") or one actor's form
        with words that name a part of the state ("le président russe", "Japanese officials"). A name with other
        words ("the Mexican cartels", "Brazil's Supreme Court") is not the country and resolves to nothing.
        """
        if name in self._lookups:
            return self._lookups[name]
        actor_id = self._lookup(name)
        if len(self._lookups) < 100_000:  # source and target names repeat; their resolution does not change
            self._lookups[name] = actor_id
        return actor_id

    def _lookup(self, name: str) -> str | None:
        stripped = name.strip()
        if stripped.upper() in self.actors:
            return stripped.upper()
        mentions = self.find_mentions(stripped, any_case=True)
        if len({m.actor for m in mentions}) != 1:
            return None
        covered = [(m.start, m.end) for m in mentions]
        rest = {t.key for t in tokenize(stripped) if not any(s <= t.start < e for s, e in covered)}
        return mentions[0].actor if rest <= STATE_WORDS else None

    def resolve(self, name: str, text: str, mentions: list[Mention] | None = None) -> Resolution:
        """Resolve a source or target string against one text.

        A name the gazetteer knows resolves to its actor and every mention of that actor in the text; any other
        name stands for itself and is found wherever its words occur in the text.
        """
        if name == WRITER:
            return Resolution(WRITER, False, [])
        actor_id = self.lookup(name)
        if actor_id is not None:
            found = self.find_mentions(text) if mentions is None else mentions
            return Resolution(actor_id, True, [(m.start, m.end) for m in found if m.actor == actor_id])
        return Resolution(name.strip(), False, find_phrase(name, text))

    def resolve_dyads(self, dyads: Iterable[tuple[str, str, str]]
                      ) -> list[tuple[str, list[Mention], Resolution, Resolution]]:
        """Resolve the source and target of each ``(text, source, target)`` dyad against its text.

        Returns each dyad's text, the text's mentions and the two resolutions. A text's mentions are found once
        however many dyads share it: an article or a labelled corpus gives one text for several pairs of actors.
        """
        found: dict[str, list[Mention]] = {}
        resolved = []
        for text, source, target in dyads:
            mentions = found.get(text)
            if mentions is None:
                mentions = found[text] = self.find_mentions(text)
            resolved.append((text, mentions, self.resolve(source, text, mentions),
                             self.resolve(target, text, mentions)))
        return resolved

    def search(self, query: str = "", limit: int | None = None) -> list[Actor]:
        """Return the actors whose id or any form contains ``query`` (case- and accent-insensitive)."""
        needle = fold(query).casefold().strip()
        hits = [
            actor
            for actor in self.actors.values()
            if not needle
            or needle in fold(actor.id + " " + actor.name).casefold()
            or any(needle in fold(f).casefold() for forms in actor.forms.values() for f in forms)
        ]
        return hits[:limit] if limit else hits


def find_phrase(phrase: str, text: str) -> list[tuple[int, int]]:
    """Return the spans where the words of ``phrase`` occur in ``text``, on word boundaries, folded."""
    wanted = token_keys(phrase)
    if not wanted:
        return []
    tokens = tokenize(text)
    n = len(wanted)
    return [
        (tokens[i].start, tokens[i + n - 1].end)
        for i in range(len(tokens) - n + 1)
        if tuple(t.key for t in tokens[i : i + n]) == wanted
    ]
