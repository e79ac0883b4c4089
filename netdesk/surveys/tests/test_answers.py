"""The customer's answer: once, changeable for 12 hours, refused when
expired or never sent; a low rating opens the team lead's follow-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from netdesk.surveys import services
from netdesk.surveys.models import FollowUpState, Survey, SurveyFollowUp, SurveyState
from netdesk.surveys.selectors import follow_ups_list, survey_token
from netdesk.surveys.services import (
    follow_up_done,
    settings_update,
    survey_answer,
    survey_mark_sent,
    surveys_expire,
)
from netdesk.surveys.tests.desk import Desk, resolved
from tests import factories as f

pytestmark = pytest.mark.django_db


def sent_survey(desk: Desk) -> Survey:
    survey = Survey.objects.get(ticket=resolved(desk))
    survey_mark_sent(survey=survey, now=timezone.now())
    survey.refresh_from_db()
    return survey


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[SurveyFollowUp]:
    """The follow-ups announced on the survey_follow_up_opened hook."""
    announced: list[SurveyFollowUp] = []

    def hooks_run(name: str, **arguments: object) -> None:
        if name == "survey_follow_up_opened":
            announced.append(arguments["follow_up"])  # type: ignore[arg-type]

    monkeypatch.setattr(services, "hooks_run", hooks_run)
    return announced


def test_an_answer_is_kept_and_changeable_for_12_hours(desk: Desk) -> None:
    survey = sent_survey(desk)
    token = survey_token(survey)
    now = timezone.now()

    survey_answer(token=token, rating=4, comment="  Quick and friendly.  ", now=now)
    survey.refresh_from_db()
    assert (survey.state, survey.rating, survey.comment) == ("answered", 4, "Quick and friendly.")
    assert survey.answered_at == now
    assert survey.editable_until == now + timedelta(hours=12)

    # A change within the window is kept; the first answer's time stays
    survey_answer(token=token, rating=5, now=now + timedelta(hours=11))
    survey.refresh_from_db()
    assert (survey.rating, survey.comment, survey.answered_at) == (5, "", now)

    # After it, refused, and the answer stays
    with pytest.raises(TransitionNotAllowed, match="could be changed until"):
        survey_answer(token=token, rating=1, now=now + timedelta(hours=12, seconds=1))
    survey.refresh_from_db()
    assert survey.rating == 5


def test_an_expired_survey_takes_no_answer(desk: Desk) -> None:
    survey = sent_survey(desk)
    assert survey.expires_at is not None
    with pytest.raises(TransitionNotAllowed, match="expired"):
        survey_answer(token=survey_token(survey), rating=3, now=survey.expires_at)
    assert surveys_expire(now=survey.expires_at) == 1
    with pytest.raises(TransitionNotAllowed, match="expired"):
        survey_answer(token=survey_token(survey), rating=3, now=survey.expires_at)


def test_a_survey_not_sent_takes_no_answer(desk: Desk) -> None:
    survey = Survey.objects.get(ticket=resolved(desk))
    assert survey.state == SurveyState.SCHEDULED
    with pytest.raises(TransitionNotAllowed, match="not open"):
        survey_answer(token=survey_token(survey), rating=3)


def test_a_tampered_token_finds_no_survey(desk: Desk) -> None:
    survey = sent_survey(desk)
    token = survey_token(survey)
    public_id, signature = token.split(".")

    def changed(text: str) -> str:
        # A last character other than the one there (a fixed one would leave
        # the token intact whenever it already ended in it).
        return text[:-1] + ("x" if text[-1] != "x" else "y")

    for bad in (
        public_id,
        f"{public_id}.{changed(signature)}",
        f"{changed(public_id)}.{signature}",
        f"{signature}.{public_id}",
        "",
    ):
        with pytest.raises(NotFound):
            survey_answer(token=bad, rating=5)
    survey.refresh_from_db()
    assert survey.rating is None


@pytest.mark.parametrize(
    ("rating", "nps", "comment", "field"),
    [
        (0, None, "", "rating"),
        (6, None, "", "rating"),
        ("5", None, "", "rating"),
        (True, None, "", "rating"),
        (None, None, "", "rating"),
        (3, 7, "", "nps"),  # not asked
        (3, None, "x" * 2001, "comment"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_field(
    desk: Desk, rating: object, nps: object, comment: str, field: str
) -> None:
    survey = sent_survey(desk)
    with pytest.raises(ValidationFailed) as refused:
        survey_answer(token=survey_token(survey), rating=rating, nps=nps, comment=comment)
    assert refused.value.field == field
    survey.refresh_from_db()
    assert survey.state == SurveyState.SENT


def test_nps_is_taken_when_asked(desk: Desk) -> None:
    settings_update(actor=desk.manager, changes={"ask_nps": True})
    survey = sent_survey(desk)
    assert survey.asks_nps
    with pytest.raises(ValidationFailed) as refused:
        survey_answer(token=survey_token(survey), rating=4, nps=11)
    assert refused.value.field == "nps"
    survey_answer(token=survey_token(survey), rating=4, nps=0)
    survey.refresh_from_db()
    assert survey.nps == 0


def test_a_low_rating_opens_a_follow_up_for_the_group_supervisor(
    desk: Desk, opened: list[SurveyFollowUp]
) -> None:
    survey = sent_survey(desk)
    now = timezone.now()
    survey_answer(token=survey_token(survey), rating=2, comment="Three calls.", now=now)

    follow_up = SurveyFollowUp.objects.get(survey=survey)
    assert follow_up.owner == desk.lead
    assert follow_up.group == desk.group
    assert follow_up.opened_rating == 2
    assert follow_up.state == FollowUpState.OPEN
    assert opened == [follow_up]
    assert [row.pk for row in follow_ups_list(user=desk.lead)] == [follow_up.pk]

    # Raising the rating within the window leaves it, noting the first rating
    survey_answer(token=survey_token(survey), rating=5, now=now + timedelta(hours=1))
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.opened_rating) == ("open", 2)
    assert len(opened) == 1


def test_a_good_rating_lowered_later_opens_one(desk: Desk, opened: list[SurveyFollowUp]) -> None:
    survey = sent_survey(desk)
    survey_answer(token=survey_token(survey), rating=4)
    assert opened == []
    survey_answer(token=survey_token(survey), rating=1)
    assert [row.opened_rating for row in opened] == [1]


def test_without_a_supervisor_a_team_lead_of_the_desk_follows_up(desk: Desk) -> None:
    desk.group.supervisor = None
    desk.group.save(update_fields=["supervisor"])
    survey = sent_survey(desk)
    survey_answer(token=survey_token(survey), rating=1)
    assert SurveyFollowUp.objects.get(survey=survey).owner == desk.lead


def test_a_follow_up_is_done_with_a_note_once(desk: Desk) -> None:
    survey = sent_survey(desk)
    survey_answer(token=survey_token(survey), rating=1)
    follow_up = SurveyFollowUp.objects.get(survey=survey)

    with pytest.raises(ValidationFailed):
        follow_up_done(actor=desk.lead, follow_up=follow_up, note="  ")
    with pytest.raises(PermissionDenied):
        follow_up_done(actor=desk.agent, follow_up=follow_up, note="Called back.")
    follow_up_done(actor=desk.lead, follow_up=follow_up, note="Called back; router replaced.")
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.done_by) == ("done", desk.lead)
    assert follow_up.note == "Called back; router replaced."
    with pytest.raises(TransitionNotAllowed):
        follow_up_done(actor=desk.lead, follow_up=follow_up, note="Again.")
    assert follow_ups_list(user=desk.lead) == []
    assert [r.pk for r in follow_ups_list(user=desk.lead, state="done")] == [follow_up.pk]


def test_another_team_lead_does_not_see_the_follow_up_but_a_manager_does(desk: Desk) -> None:
    survey = sent_survey(desk)
    survey_answer(token=survey_token(survey), rating=1)
    other_lead = f.user(Role.TEAM_LEAD)
    assert follow_ups_list(user=other_lead) == []
    assert len(follow_ups_list(user=desk.manager)) == 1


def test_only_managers_change_the_settings(desk: Desk) -> None:
    with pytest.raises(PermissionDenied):
        settings_update(actor=desk.lead, changes={"enabled": False})
    with pytest.raises(ValidationFailed) as refused:
        settings_update(actor=desk.manager, changes={"expiry_days": 0})
    assert refused.value.field == "expiry_days"
    with pytest.raises(ValidationFailed):
        settings_update(actor=desk.manager, changes={"incident_mode": "sometimes"})
    desk_settings = settings_update(actor=desk.manager, changes={"delay_minutes": 5})
    assert desk_settings.pk is not None
    assert desk_settings.delay_minutes == 5
