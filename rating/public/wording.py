"""What the public reads of a rule set: each rule's basis and each grade's meaning.

A rule's `clause` is written for auditors: it may cite another city's text, a draft or a design
note. The public side cites only the rule set's own document, as the rule file words it for
the public (`basis` on rules, overrides, caps and lists; `meaning` on bands and overrides).
A version that does not word them (published before these fields existed, e.g.
yantai-2022@1.1.0) borrows them from its wording revisions — versions of the same scheme with
the same logic fingerprint, so the same results (rules/README.md, *Wording revisions*) — among
the rule sets the snapshot holds, newest first; failing that, the basis is the document's
title and number, and a grade's meaning is its score range or the title of the rule giving it.
So a resident never reads English, another city's text or an empty meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rating.public.text import zh_punctuation
from rating.ruleset.definition import Band, RuleSet
from rating.ruleset.fingerprint import canonical_json, logic_and_wording, sha256_text
from rating.ruleset.loader import version_key


def logic_sha(definition: RuleSet) -> str:
    """The version's logic fingerprint (`rating.ruleset.fingerprint`), from its definition."""
    return sha256_text(canonical_json(logic_and_wording(definition)[0]))


def citation(definition: RuleSet) -> str:
    """The rule set's document as the public cites it: `《烟台市物业服务企业信用信息管理办法》
    （烟建住房〔2022〕13号）` — the title, and the first document number when `document`
    gives one (text ending in 号 before any `;`)."""
    number = definition.ruleset.document.split(";")[0].strip()
    title = f"《{definition.ruleset.title}》"
    return f"{title}（{number}）" if number.endswith("号") else title


_NAMED_NUMBER = re.compile(r"《?(?P<name>[^《》()（）]+?)》?\s*[(（](?P<number>[^()（）]+号)[)）]")


def cited_documents(definition: RuleSet) -> list[str]:
    """The documents a rule set rests on, each cited apart so none nests in another's brackets
    (GB/T 15834-2011): its own `《title》（first part of document）`, then each further
    `;`-separated part — `山东省…办法 (鲁建物字〔2019〕4号)` as `《山东省…办法》（鲁建物字〔2019〕4号）`,
    other text as written, in Chinese punctuation. The pages join them with `；`."""
    first, *rest = [p.strip() for p in definition.ruleset.document.split(";")]
    title = f"《{zh_punctuation(definition.ruleset.title)}》"
    out = [f"{title}（{zh_punctuation(first)}）" if first else title]
    for part in filter(None, rest):
        named = _NAMED_NUMBER.fullmatch(part)
        out.append(
            f"《{named['name'].strip()}》（{named['number'].strip()}）"
            if named
            else zh_punctuation(part)
        )
    return out


_LIST_NAMES = (("红黑榜", "红黑名单"), ("红榜", "红名单"), ("黑榜", "黑名单"))


def public_list_name(title: str) -> str:
    """A list title as the public reads it: the name is 红名单/黑名单 (the Yantai measures'
    word, 诚信“黑名单”) whatever a rule file of an older version says (红榜 in
    yantai-2022@1.1.0 — a published version is never edited), in full-width punctuation."""
    for old, new in _LIST_NAMES:
        title = title.replace(old, new)
    return zh_punctuation(title)


@dataclass(frozen=True)
class PublicWording:
    """The public words of one version, borrowing from its wording revisions (module doc).
    `revisions`: the other versions the snapshot holds; those of another scheme or logic are
    ignored."""

    definition: RuleSet
    revisions: tuple[RuleSet, ...] = ()

    @classmethod
    def of(cls, definition: RuleSet, others: Iterable[RuleSet]) -> PublicWording:
        """`definition`'s wording, with its revisions among `others`, newest version first."""
        mine = logic_sha(definition)
        same = [
            o
            for o in others
            if o.ruleset.name == definition.ruleset.name
            and o.ref != definition.ref
            and logic_sha(o) == mine
        ]
        same.sort(key=lambda o: version_key(o.ruleset.version), reverse=True)
        return cls(definition, tuple(same))

    def _chain(self) -> tuple[RuleSet, ...]:
        return (self.definition, *self.revisions)

    def rule_basis(self, rule_id: str) -> str:
        """A rule's basis for the public; the document's citation when no version words it."""
        for d in self._chain():
            found = next((r.basis for r in d.rules if r.id == rule_id and r.basis), None)
            if found:
                return found
        return citation(self.definition)

    def list_basis(self, kind: str) -> str:
        """The red (`red`) or black (`black`) list's basis for the public."""
        for d in self._chain():
            policy = d.lists.red if kind == "red" else d.lists.black
            if policy is not None and policy.basis:
                return policy.basis
        return citation(self.definition)

    def list_title(self, kind: str) -> str | None:
        """The red or black list's name and condition as the public reads it: the newest
        version's words among this one and its wording revisions, the name always the
        public's term (红名单/黑名单, where yantai-2022@1.1.0 says 红榜) and the punctuation
        full-width (`红名单：信用优秀（AAA）且无不良信用信息`), so one name is used for a list
        across periods; None when the version has no such list."""
        own = self.definition.lists.red if kind == "red" else self.definition.lists.black
        if own is None:
            return None
        newest_first = sorted(
            self._chain(), key=lambda d: version_key(d.ruleset.version), reverse=True
        )
        for d in newest_first:
            policy = d.lists.red if kind == "red" else d.lists.black
            if policy is not None and policy.title:
                return public_list_name(policy.title)
        return public_list_name(own.title)

    def override_basis(self, override_id: str) -> str:
        """An override's or cap's basis for the public."""
        for d in self._chain():
            found = [o.basis for o in d.grades.overrides if o.id == override_id and o.basis]
            found += [c.basis for c in d.grades.caps if c.id == override_id and c.basis]
            if found:
                return found[0]
        return citation(self.definition)

    def meaning(self, grade: str, fallback: str) -> str:
        """What `grade` means: a band's or an override's `meaning`, from this version or a
        revision; else `fallback` (its score range or the title of the rule giving it)."""
        for d in self._chain():
            found = next(
                (b.meaning for b in d.grades.bands if b.grade == grade and b.meaning), None
            )
            found = found or next(
                (o.meaning for o in d.grades.overrides if o.grade == grade and o.meaning), None
            )
            if found:
                return found
        return fallback

    def project_meaning(self, band: Band, fallback: str) -> str:
        """What a project (compound) grade means, as `meaning` for a company grade."""
        for d in self._chain():
            found = next(
                (b.meaning for b in d.project_grades if b.grade == band.grade and b.meaning), None
            )
            if found:
                return found
        return fallback

    def not_scored(self, grade: str | None) -> bool:
        """A grade outside the score's bands (`grades.extra`, e.g. C(缺失): a company not in
        credit information management): it carries no credit score to show."""
        return grade is not None and grade in self.definition.grades.extra
