"""The subjects of a round (Convention No. 144, Article 5(1)) and their suggested briefs. Pure.

A round's ``kind`` is "general" or the code of one of the five subjects on which Article 5(1)
requires tripartite consultation. The codes are stable (stored, exported); the labels and the
suggested briefs are translated where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import DomainError
from app.i18n import N_, Labels
from app.i18n import gettext as _

GENERAL = "general"


@dataclass(frozen=True)
class Subject:
    code: str
    #: The paragraph of Article 5(1): "a" to "e".
    letter: str
    #: The subject's name, in English (marked with N_, translated where shown).
    label: str
    #: The suggested brief (markdown), in English (marked with N_, translated where used).
    template: str


SUBJECTS: tuple[Subject, ...] = (
    Subject(
        "ilo_questionnaire",
        "a",
        N_("Reply to an ILO questionnaire on a Conference agenda item"),
        N_(
            """**Subject:** the Government's reply to the questionnaire of the International Labour Office on [agenda item], on the agenda of the [… ] Session ([year]) of the International Labour Conference.

Under Article 5(1)(a) of Convention No. 144, the Government consults the representative organisations of employers and workers on its replies to questionnaires concerning items on the agenda of the Conference, and on its comments on proposed texts to be discussed by the Conference.

- **The questionnaire:** [reference of the Office's report and link]
- **The Government's draft reply:** [attached or linked]
- **Date by which the reply must reach the Office:** [date]

Please state your organisation's position on the draft reply and, for each question where you disagree, the reply you propose:

1. Questions [No. …] to [No. …]: [topic]
2. The form of the instrument: [a Convention / a Recommendation / a Convention supplemented by a Recommendation]
3. Any other comment on the proposed text.

The reply sent to the Office will name the organisations consulted and record their views."""  # noqa: E501
        ),
    ),
    Subject(
        "submission_of_instruments",
        "b",
        N_("Submission of instruments adopted by the Conference to the competent authority"),
        N_(
            """**Subject:** the proposals the Government will make to [the competent authority, for example Parliament] when it submits the instruments adopted by the International Labour Conference at its [… ] Session ([year]), as article 19 of the ILO Constitution requires.

Under Article 5(1)(b) of Convention No. 144, the Government consults the representative organisations of employers and workers on these proposals.

- **Instruments adopted:** [Convention No. … concerning …]; [Recommendation No. … concerning …]
- **Competent authority:** [name]
- **Date by which the instruments must be submitted:** [date: within twelve months of the close of the Session, eighteen at most]
- **The Government's draft proposals:** [attached or linked]

Please state your organisation's position on the proposals:

1. Should [Convention No. …] be ratified and, if so, when and with what measures?
2. What action should be taken on [Recommendation No. …]?
3. Which laws or practices would need to change?"""  # noqa: E501
        ),
    ),
    Subject(
        "unratified_instruments",
        "c",
        N_("Re-examination of unratified Conventions and of Recommendations not yet given effect"),
        N_(
            """**Subject:** the re-examination of Conventions that [country] has not ratified and of Recommendations to which effect has not yet been given, to consider what measures might be taken to promote their implementation and ratification as appropriate.

Under Article 5(1)(c) of Convention No. 144, this re-examination takes place at appropriate intervals with the representative organisations of employers and workers.

- **Instruments re-examined this time:** [Convention No. …]; [Convention No. …]; [Recommendation No. …]
- **Gaps between national law and practice and these instruments:** [study attached or linked]
- **Previous re-examination:** [year and outcome]

For each instrument, please state your organisation's position:

1. Should ratification (or implementation) be pursued now, later or not at all, and why?
2. What stands in the way, and what measures would remove it?
3. Which instruments should be re-examined next time?"""  # noqa: E501
        ),
    ),
    Subject(
        "article_22_reports",
        "d",
        N_("Reports to the ILO under article 22 of the Constitution"),
        N_(
            """**Subject:** questions arising out of the reports on ratified Conventions to be made to the International Labour Office under article 22 of the ILO Constitution.

Under Article 5(1)(d) of Convention No. 144, the Government consults the representative organisations of employers and workers on these reports; under article 23(2) of the Constitution, it also sends them copies of the reports.

- **Conventions reported on this year:** [Convention No. …]; [Convention No. …]
- **Comments of the Committee of Experts to answer:** [observation or direct request, year …]
- **The Government's draft reports:** [attached or linked]
- **Date by which the reports must reach the Office:** [date, usually 1 September]

Please state your organisation's position on the draft reports:

1. Do they describe law and practice accurately? Where they do not, what should they say?
2. What does your organisation want added in reply to the Committee of Experts' comments?
3. Does your organisation intend to send its own observations to the Office?"""  # noqa: E501
        ),
    ),
    Subject(
        "denunciation",
        "e",
        N_("Proposal to denounce a ratified Convention"),
        N_(
            """**Subject:** the proposal to denounce [Convention No. … concerning …], ratified by [country] on [date].

Under Article 5(1)(e) of Convention No. 144, the Government consults the representative organisations of employers and workers on any proposal to denounce a ratified Convention.

- **Why denunciation is proposed:** [reasons]
- **Period in which denunciation is possible:** [from … to …, as the Convention's final articles provide]
- **Instrument that would replace it, if any:** [Convention No. …, ratified or to be ratified]
- **Consequences for workers and employers:** [assessment attached or linked]

Please state your organisation's position:

1. Does your organisation support or oppose the denunciation, and why?
2. If it is decided, what guarantees should accompany it?
3. Are there alternatives to denunciation (for example, ratifying a revising Convention)?"""  # noqa: E501
        ),
    ),
)

_BY_CODE = {subject.code: subject for subject in SUBJECTS}
#: Every value ``Round.kind`` may take, in the order the form offers them.
KINDS: tuple[str, ...] = (GENERAL, *(_BY_CODE))

#: Each kind's name, in the reader's language.
SUBJECT_LABELS = Labels(
    {GENERAL: N_("General consultation (another subject)")}
    | {subject.code: subject.label for subject in SUBJECTS}
)
_ARTICLE = N_("C144, Article 5(1)(%(letter)s)")


def parse_kind(value: str | None) -> str:
    """The kind chosen on a form: "" means general; anything unknown is refused."""
    kind = (value or "").strip() or GENERAL
    if kind not in KINDS:
        raise DomainError(_("Choose a subject from the list."), field="kind")
    return kind


def is_subject(kind: str) -> bool:
    """One of the five subjects of Article 5(1) (not "general")."""
    return kind in _BY_CODE


def label(kind: str) -> str:
    """The kind's name in the reader's language (an unknown stored code is shown as is)."""
    return SUBJECT_LABELS[kind] if kind in SUBJECT_LABELS else kind


def article(kind: str) -> str:
    """ "C144, Article 5(1)(a)" for a subject, "" for a general round."""
    subject = _BY_CODE.get(kind)
    return _(_ARTICLE) % {"letter": subject.letter} if subject else ""


def template(kind: str) -> str:
    """The suggested brief of a subject in the reader's language ("" for a general round)."""
    subject = _BY_CODE.get(kind)
    return _(subject.template) if subject else ""


def template_globals() -> dict[str, Any]:
    """What templates use to name a round's subject (cycle/_subject.html): registered as
    globals by app.web, and passed to documents rendered outside a request."""
    return {
        "round_kinds": KINDS,
        "is_subject": is_subject,
        "subject_label": label,
        "subject_article": article,
    }


def fill_brief(brief: str, kind: str) -> tuple[str, bool]:
    """The brief with the subject's template put in when it is empty (never over text that
    someone wrote), and whether it was."""
    suggested = template(kind)
    if brief.strip() or not suggested:
        return brief, False
    return suggested, True
