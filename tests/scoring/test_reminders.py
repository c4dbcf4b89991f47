"""Reminder e-mails of the yearly round: who gets what and when, and never the same mail twice."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from core.models import SentReminder
from core.reminders import send_once
from criteria.services import criteria_set_import
from scoring.models import Assessment, Round
from scoring.reminders import assessment_path, due_reminders, milestone, reminders_for_user, round_path
from tests.xlsx import HANDWRITTEN, VI_HEADERS, xlsx_bytes

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
S = Assessment.State


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def run(day: dt.date = TODAY, **options) -> None:
    call_command("send_reminders", date=day.strftime("%d/%m/%Y"), **options)


def set_round(round_, **fields) -> None:
    Round.objects.filter(pk=round_.pk).update(**fields)


def set_state(assessment, state, **fields) -> None:
    Assessment.objects.filter(pk=assessment.pk).update(state=state, **fields)


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.fixture
def emails(cast):
    for user in cast.values():
        user.email = f"{user.username}@example.vn"
        user.save(update_fields=["email"])
    return {name: user.email for name, user in cast.items()}


def test_milestones_are_windows_so_a_missed_day_is_caught_up():
    assert [milestone(days(n), TODAY) for n in (9, 8, 7, 2, 1, 0, -1, -30)] == [None, None, "7d", "7d", "1d", "1d", "overdue", "overdue"]
    assert milestone(None, TODAY) is None


def test_seven_days_before_each_draft_unit_gets_one_mail_however_often_the_command_runs(round_so, assessment_a, emails, settings, capsys):
    settings.SITE_URL = "https://chiso.example.vn/"
    set_round(round_so, self_deadline=days(7))
    run()
    run()
    run(days(1))  # six days left: same milestone, already sent
    assert recipients() == sorted([emails["staff_a"], emails["head_a"], emails["staff_b"]])
    message = next(m for m in mail.outbox if m.to == [emails["staff_a"]])
    assert message.subject == "[Chỉ số CCHC] Còn 7 ngày đến hạn tự chấm điểm năm 2026"
    assert "Sở Giáo dục và Đào tạo" in message.body and "17/03/2026" in message.body
    assert f"https://chiso.example.vn{assessment_path(assessment_a.pk)}" in message.body
    assert f"0/{assessment_a.leaves_todo} tiêu chí" in message.body
    out = capsys.readouterr().out
    assert "Đã gửi 3 thư nhắc việc." in out and out.count("Đã gửi 0 thư nhắc việc.") == 2
    assert "canbo.a <canbo.a@example.vn>: [Chỉ số CCHC] Còn 7 ngày" in out


def test_the_eve_and_the_overdue_mail_each_once(round_so, emails):
    set_round(round_so, self_deadline=days(1))
    run()
    run()
    assert len(mail.outbox) == 3 and {m.subject for m in mail.outbox} == {"[Chỉ số CCHC] Còn 1 ngày đến hạn tự chấm điểm năm 2026"}
    mail.outbox.clear()
    run(days(1))  # the deadline itself: the eve's reminder already went out
    assert mail.outbox == []
    run(days(2))
    run(days(2))
    run(days(30))  # still overdue: one overdue mail per deadline, not one a day
    assert len(mail.outbox) == 3
    assert {m.subject for m in mail.outbox} == {"[Chỉ số CCHC] Đã quá hạn tự chấm điểm năm 2026"}
    assert "liên hệ Sở Nội vụ" in mail.outbox[0].body and "11/03/2026" in mail.outbox[0].body


def test_far_deadlines_and_rounds_without_a_deadline_send_nothing(round_so, emails):
    run()
    set_round(round_so, self_deadline=days(8))
    run()
    assert mail.outbox == []


def test_submitted_units_get_nothing(round_so, assessment_a, emails):
    set_round(round_so, self_deadline=days(7))
    set_state(assessment_a, S.SUBMITTED)
    run()
    assert recipients() == [emails["staff_b"]]


def test_reopened_assessment_with_a_new_deadline_reminds_again(round_so, assessment_a, assessment_b, emails):
    set_round(round_so, self_deadline=days(-1))
    set_state(assessment_b, S.SUBMITTED)
    run()
    assert len(mail.outbox) == 2 and all("Đã quá hạn" in m.subject for m in mail.outbox)
    mail.outbox.clear()
    set_state(assessment_a, S.DRAFT, reopened_until=days(1))  # Home Affairs reopened it until tomorrow
    run()
    assert len(mail.outbox) == 2 and all("Còn 1 ngày" in m.subject for m in mail.outbox)
    assert "11/03/2026" in mail.outbox[0].body
    mail.outbox.clear()
    run(days(2))  # the new deadline has passed too
    assert len(mail.outbox) == 2 and all("Đã quá hạn" in m.subject for m in mail.outbox)


def test_units_in_explanation_are_reminded_the_day_before_its_deadline(round_so, assessment_a, assessment_b, emails):
    set_round(round_so, explanation_deadline=days(3))
    set_state(assessment_a, S.EXPLANATION)
    set_state(assessment_b, S.EXPLAINED)
    for snv in Assessment.objects.filter(round=round_so).exclude(pk__in=[assessment_a.pk, assessment_b.pk]):
        set_state(snv, S.FINALIZED)
    run()
    assert mail.outbox == []  # three days left: only the eve is reminded
    run(days(2))
    run(days(2))
    assert recipients() == sorted([emails["staff_a"], emails["head_a"]])
    assert mail.outbox[0].subject == "[Chỉ số CCHC] Còn 1 ngày đến hạn giải trình kết quả sơ bộ năm 2026"
    assert "13/03/2026" in mail.outbox[0].body


@pytest.fixture
def round_xa(groups, cast, emails):
    """A second group's round, with its own appraiser, to check appraisers only hear of their groups."""
    from accounts.models import User
    from scoring.services import round_open

    outcome = criteria_set_import(
        source=xlsx_bytes(VI_HEADERS, HANDWRITTEN), code="XA-2026", name="Bộ chỉ số xã 2026", year=2026, group=groups["XA"], publish=True
    )
    round_ = round_open(year=2026, group=groups["XA"], criteria_set=outcome.criteria_set, user=cast["admin"])
    appraiser = User.objects.create(username="thamdinh.xa", email="thamdinh.xa@example.vn", is_appraiser=True)
    appraiser.appraised_groups.add(groups["XA"])
    return round_


def test_appraisers_get_one_mail_per_deadline_listing_their_units_only(round_so, assessment_a, assessment_b, round_xa, emails, units):
    set_round(round_so, appraisal_deadline=days(7))
    set_round(round_xa, appraisal_deadline=days(7))
    set_state(assessment_a, S.SUBMITTED)
    set_state(assessment_b, S.SUBMITTED)
    set_state(round_xa.assessments.get(), S.SUBMITTED)
    run()
    run()
    assert recipients() == sorted([emails["appraiser"], "thamdinh.xa@example.vn"])
    so_mail = next(m for m in mail.outbox if m.to == [emails["appraiser"]])
    assert so_mail.subject == "[Chỉ số CCHC] Còn 7 ngày đến hạn thẩm định sơ bộ năm 2026 – Sở, ban, ngành"
    assert "Sở Giáo dục và Đào tạo (SGDDT)" in so_mail.body and "Sở Tư pháp (STP)" in so_mail.body
    assert "Tân Lập" not in so_mail.body and "2 đơn vị" in so_mail.body
    assert round_path(round_so.pk) in so_mail.body and assessment_path(assessment_a.pk) in so_mail.body
    xa_mail = next(m for m in mail.outbox if m.to == ["thamdinh.xa@example.vn"])
    assert "UBND phường Tân Lập" in xa_mail.body and "Sở Tư pháp" not in xa_mail.body
    mail.outbox.clear()
    run(days(8))
    assert len(mail.outbox) == 2 and all("Đã quá hạn thẩm định sơ bộ" in m.subject for m in mail.outbox)


def test_final_appraisal_reminder_lists_the_explained_units(round_so, assessment_a, assessment_b, emails):
    set_round(round_so, final_deadline=days(1), appraisal_deadline=days(1))
    set_state(assessment_a, S.EXPLAINED)
    set_state(assessment_b, S.APPRAISED)  # preliminary appraisal done: nothing left for the appraiser
    run()
    appraiser_mails = [m for m in mail.outbox if m.to == [emails["appraiser"]]]
    assert len(appraiser_mails) == 1
    assert appraiser_mails[0].subject == "[Chỉ số CCHC] Còn 1 ngày đến hạn thẩm định lại năm 2026 – Sở, ban, ngành"
    assert "Sở Giáo dục và Đào tạo" in appraiser_mails[0].body and "Sở Tư pháp" not in appraiser_mails[0].body


def test_users_without_email_or_inactive_are_skipped(round_so, cast, emails, capsys):
    set_round(round_so, self_deadline=days(7))
    cast["staff_b"].email = ""
    cast["staff_b"].save()
    cast["head_a"].is_active = False
    cast["head_a"].save()
    run()
    assert recipients() == [emails["staff_a"]]
    assert not SentReminder.objects.filter(user=cast["staff_b"]).exists()
    assert "Bỏ qua 1 thư" in capsys.readouterr().out
    cast["staff_b"].email = "canbo.b@example.vn"  # an address added later still gets the reminder
    cast["staff_b"].save()
    run()
    assert recipients() == sorted([emails["staff_a"], "canbo.b@example.vn"])


def test_dry_run_sends_nothing_and_writes_no_ledger(round_so, emails, capsys):
    set_round(round_so, self_deadline=days(7))
    run(dry_run=True)
    assert mail.outbox == [] and not SentReminder.objects.exists()
    out = capsys.readouterr().out
    assert out.count("[thử] ") == 4 and "Sẽ gửi 3 thư nhắc việc" in out
    run()
    run(dry_run=True)
    assert "Sẽ gửi 0 thư nhắc việc" in capsys.readouterr().out


def test_a_failing_mail_server_leaves_no_ledger_row_so_the_next_run_retries(round_so, emails, monkeypatch, capsys):
    set_round(round_so, self_deadline=days(7))

    def broken(*args, **kwargs):
        raise OSError("Không kết nối được máy chủ thư")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.send_mail", broken)
        with pytest.raises(CommandError, match="Không gửi được 3 thư"):
            run()
    assert not SentReminder.objects.exists() and mail.outbox == []
    assert "Không kết nối được máy chủ thư" in capsys.readouterr().err
    run()
    assert len(mail.outbox) == 3 and SentReminder.objects.count() == 3


def test_send_once(cast):
    user = cast["staff_a"]
    assert send_once(user, "k", "Tiêu đề", "Nội dung") is False  # no address yet: no ledger row
    assert not SentReminder.objects.exists()
    user.email = "a@example.vn"
    assert send_once(user, "k", "Tiêu đề", "Nội dung") is True
    assert send_once(user, "k", "Tiêu đề", "Nội dung") is False
    assert send_once(user, "k2", "Tiêu đề", "Nội dung") is True
    assert len(mail.outbox) == 2 and mail.outbox[0].subject == "Tiêu đề"


def test_reminders_for_user_are_the_due_reminders_of_that_user(round_so, assessment_a, assessment_b, cast):
    set_round(round_so, self_deadline=days(1), appraisal_deadline=days(7))
    set_state(assessment_b, S.SUBMITTED)
    every = due_reminders(TODAY)
    for user in (cast["staff_a"], cast["head_a"], cast["staff_b"], cast["appraiser"], cast["admin"], cast["staff_x"]):
        mine = reminders_for_user(user, TODAY)
        assert [(r.key, r.subject) for r in mine] == [(r.key, r.subject) for r in every if r.user == user]
    assert [r.key for r in reminders_for_user(cast["staff_a"], TODAY)] == [f"assessment:{assessment_a.pk}:self:1d:2026-03-11"]
    assert [r.key for r in reminders_for_user(cast["appraiser"], TODAY)] == [f"round:{round_so.pk}:appraisal:7d:2026-03-17"]
    assert reminders_for_user(cast["staff_b"], TODAY) == []


def test_bad_date_is_refused():
    with pytest.raises(CommandError, match="dd/mm/yyyy"):
        call_command("send_reminders", date="2026-13-45")
