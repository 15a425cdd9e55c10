"""Tasks on both databases: a province answering a seven-day task late (a reminder,
then the issuer's supervisors), the issuer accepting or reopening, a regulator
recording outcomes for a list of numbers, templates issued once per period, and who
sees which part of a task."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from shaheen.audit.models import AuditEvent
from shaheen.errors import BadInput, Forbidden, IllegalTransition, NotFound
from shaheen.knowledge.enums import TLP
from shaheen.review import service as review
from shaheen.review.enums import CaseStatus
from shaheen.tasks import rules
from shaheen.tasks import service as tasks
from shaheen.tasks.attachments import AttachmentStore, AttachmentTooLarge
from shaheen.tasks.enums import NumberOutcome, TaskKind, TaskStatus, TaskStep
from shaheen.tasks.schemas import AssignmentView
from tests.tasks.world import World

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _issue(world: World, **kw: object) -> int:
    args: dict[str, object] = {
        "title": "Report on TTP recruitment channels in your province",
        "recipients": ["CTD-KP", "CTD-PB"],
        "due_days": 7,
        "now": T0,
    }
    args.update(kw)
    return tasks.issue(session=world.session, by=world.as_("cta-boss"), **args)  # type: ignore[arg-type]


def _part(world: World, task_id: int, agency: str, by: str = "cta-boss") -> AssignmentView:
    view = tasks.task_view(session=world.session, by=world.as_(by), task_id=task_id)
    [part] = [a for a in view.assignments if a.agency == agency]
    return part


def test_a_province_answers_a_seven_day_task_late(world: World) -> None:
    task_id = _issue(world)
    due = T0 + timedelta(days=7)
    tasks.acknowledge(
        session=world.session,
        by=world.as_("kp-liaison"),
        task_id=task_id,
        now=T0 + timedelta(hours=2),
    )
    # in time, nothing escalates
    assert tasks.escalate_overdue(session=world.session, now=due - timedelta(minutes=1)) == []
    # once due: a reminder to each province that has not answered
    reminded = tasks.escalate_overdue(session=world.session, now=due + timedelta(hours=1))
    assert {(e.agency, e.level) for e in reminded} == {
        ("CTD-KP", rules.REMINDER),
        ("CTD-PB", rules.REMINDER),
    }
    assert tasks.escalate_overdue(session=world.session, now=due + timedelta(hours=2)) == []
    # two days later still silent: the issuer's supervisors
    later = due + rules.SUPERVISOR_AFTER + timedelta(hours=1)
    escalated = tasks.escalate_overdue(session=world.session, now=later)
    assert {(e.agency, e.level) for e in escalated} == {
        ("CTD-KP", rules.SUPERVISOR),
        ("CTD-PB", rules.SUPERVISOR),
    }
    on_list = tasks.supervisors_list(session=world.session, by=world.as_("cta-boss"))
    assert {row.agency for row in on_list} == {"CTD-KP", "CTD-PB"}

    answered_at = due + timedelta(days=3)
    tasks.answer(
        session=world.session,
        by=world.as_("kp-boss"),
        task_id=task_id,
        text="Four channels found, two referred; list attached.",
        now=answered_at,
    )
    part = _part(world, task_id, "CTD-KP")
    assert part.status is TaskStatus.ANSWERED
    assert part.late_hours == 72.0
    assert part.escalation_level == rules.SUPERVISOR
    # answered: off the supervisors' list, Punjab still on it
    on_list = tasks.supervisors_list(session=world.session, by=world.as_("cta-boss"))
    assert [row.agency for row in on_list] == ["CTD-PB"]

    view = tasks.task_view(session=world.session, by=world.as_("cta-boss"), task_id=task_id)
    kp_steps = [e.step for e in view.events if e.agency == "CTD-KP"]
    assert kp_steps == [
        TaskStep.ACKNOWLEDGE,
        TaskStep.REMIND,
        TaskStep.ESCALATE,
        TaskStep.ANSWER,
    ]
    answer_audit = world.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "task.answer")
    )
    assert answer_audit is not None and answer_audit.details["late_hours"] == 72.0
    assert answer_audit.agency_id == world.agencies["CTD-KP"].id
    escalation_audit = world.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "task.escalate")
    ).all()
    assert {e.agency_id for e in escalation_audit} == {world.agencies["CTA"].id}


def test_close_accept_and_reopen(world: World) -> None:
    task_id = _issue(world)
    kp, pb = world.as_("kp-liaison"), world.as_("pb-boss")
    tasks.answer(session=world.session, by=kp, task_id=task_id, text="done", now=T0)
    tasks.close(session=world.session, by=kp, task_id=task_id, now=T0)
    with pytest.raises(Forbidden, match="only the issuing agency"):
        tasks.accept(session=world.session, by=kp, task_id=task_id, agency="CTD-KP")
    tasks.accept(
        session=world.session, by=world.as_("cta-liaison"), task_id=task_id, agency="CTD-KP"
    )
    with pytest.raises(IllegalTransition):
        tasks.reopen(
            session=world.session,
            by=world.as_("cta-boss"),
            task_id=task_id,
            agency="CTD-KP",
            note="more",
        )
    tasks.answer(session=world.session, by=pb, task_id=task_id, text="nothing found", now=T0)
    with pytest.raises(BadInput, match="missing"):
        tasks.reopen(
            session=world.session,
            by=world.as_("cta-boss"),
            task_id=task_id,
            agency="CTD-PB",
            note="",
        )
    tasks.reopen(
        session=world.session,
        by=world.as_("cta-boss"),
        task_id=task_id,
        agency="CTD-PB",
        note="Check Telegram too.",
        due_at=T0 + timedelta(days=10),
        now=T0 + timedelta(days=1),
    )
    part = _part(world, task_id, "CTD-PB")
    assert part.status is TaskStatus.REOPENED and part.due_at == T0 + timedelta(days=10)
    with pytest.raises(IllegalTransition):
        tasks.close(session=world.session, by=pb, task_id=task_id)
    assert _part(world, task_id, "CTD-KP").status is TaskStatus.ACCEPTED


def test_a_recipient_sees_its_own_part_only(world: World) -> None:
    task_id = _issue(world)
    tasks.answer(
        session=world.session, by=world.as_("kp-boss"), task_id=task_id, text="KP's answer", now=T0
    )
    pb_view = tasks.task_view(session=world.session, by=world.as_("pb-boss"), task_id=task_id)
    assert [a.agency for a in pb_view.assignments] == ["CTD-PB"]
    assert all(e.note != "KP's answer" for e in pb_view.events)
    assert {
        row.agency for row in tasks.task_rows(session=world.session, by=world.as_("pb-boss"))
    } == {"CTD-PB"}
    for outsider in ("ccw-boss", "pta-liaison"):
        with pytest.raises(NotFound):
            tasks.task_view(session=world.session, by=world.as_(outsider), task_id=task_id)
        with pytest.raises(NotFound):
            tasks.acknowledge(session=world.session, by=world.as_(outsider), task_id=task_id)
    with pytest.raises(Forbidden):  # a reviewer reads cases, not tasks
        tasks.task_view(session=world.session, by=world.as_("kp-reviewer"), task_id=task_id)


def test_linked_cases_are_shared_with_the_recipients(world: World) -> None:
    case = world.case()
    task_id = _issue(world, case_ids=[case.id])
    assert tasks.task_view(
        session=world.session, by=world.as_("kp-boss"), task_id=task_id
    ).cases == [case.id]
    review.case_view(session=world.session, by=world.as_("kp-reviewer"), case_id=case.id)
    with pytest.raises(NotFound):
        review.case_view(session=world.session, by=world.as_("ccw-reviewer"), case_id=case.id)
    red = world.case(tlp=TLP.RED)
    with pytest.raises(BadInput, match="named people only"):
        _issue(world, case_ids=[red.id])
    kp_case = world.case(agency="CTD-KP")
    with pytest.raises((NotFound, Forbidden)):
        _issue(world, case_ids=[kp_case.id])  # only one's own cases


def test_attachments_are_stored_capped_and_seen_by_the_right_side(
    world: World, tmp_path: Path
) -> None:
    store = AttachmentStore(tmp_path / "attachments", max_bytes=1024)
    brief = store.put("../../etc/brief.txt", io.BytesIO(b"Channels to look at:\n- t.me/x\n"))
    assert brief.file_name == "brief.txt" and brief.size_bytes == 30
    stored = store.path_for(brief.sha256)
    assert stored.read_bytes().startswith(b"Channels") and stored.stat().st_mode & 0o077 == 0
    with pytest.raises(AttachmentTooLarge):
        store.put("big.bin", io.BytesIO(b"x" * 2048))
    assert list((tmp_path / "attachments" / "incoming").iterdir()) == []

    task_id = _issue(world, attachments=[brief])
    answer = store.put("kp.csv", io.BytesIO(b"channel,status\nt.me/x,referred\n"))
    tasks.answer(
        session=world.session,
        by=world.as_("kp-liaison"),
        task_id=task_id,
        text="",
        attachments=[answer],
        now=T0,
    )
    cta = tasks.task_view(session=world.session, by=world.as_("cta-boss"), task_id=task_id)
    assert [(a.file_name, a.agency) for a in cta.attachments] == [
        ("brief.txt", None),
        ("kp.csv", "CTD-KP"),
    ]
    pb = tasks.task_view(session=world.session, by=world.as_("pb-boss"), task_id=task_id)
    assert [a.file_name for a in pb.attachments] == ["brief.txt"]
    kp_file = cta.attachments[1].id
    with pytest.raises(NotFound):
        tasks.attachment(
            session=world.session, by=world.as_("pb-boss"), task_id=task_id, attachment_id=kp_file
        )


def test_a_regulator_records_outcomes_for_a_list_of_numbers(world: World) -> None:
    numbers = ("+923001110001", "+923001110002", "+923001110003", "+923001110004")
    world.case(status=CaseStatus.REFERRED, phones=numbers[:2])
    world.case(status=CaseStatus.REFERRED, phones=numbers[2:])
    world.case(status=CaseStatus.DISMISSED, phones=("+923009990000",))  # never sent
    world.case(agency="CTD-KP", status=CaseStatus.REFERRED, phones=("+923008880000",))
    boss = world.as_("cta-boss")
    with pytest.raises(BadInput, match="not a regulator"):
        tasks.issue_numbers(session=world.session, by=boss, regulator="CTD-KP", now=T0)
    task_id = tasks.issue_numbers(session=world.session, by=boss, regulator="PTA", now=T0)
    assert task_id is not None
    # the same numbers are not sent twice
    assert tasks.issue_numbers(session=world.session, by=boss, regulator="PTA", now=T0) is None

    pta = world.as_("pta-liaison")
    view = tasks.task_view(session=world.session, by=pta, task_id=task_id)
    assert view.kind is TaskKind.PHONE_NUMBERS
    assert [n.number for n in view.assignments[0].numbers] == list(numbers)

    with pytest.raises(BadInput, match="reason"):
        tasks.record_outcome(
            session=world.session,
            by=pta,
            task_id=task_id,
            number=numbers[3],
            outcome=NumberOutcome.REFUSED,
        )
    with pytest.raises(NotFound):
        tasks.record_outcome(
            session=world.session,
            by=pta,
            task_id=task_id,
            number="+923009990000",
            outcome=NumberOutcome.SIM_BLOCKED,
        )
    with pytest.raises(NotFound):  # the issuer does not record the regulator's outcomes
        tasks.record_outcome(
            session=world.session,
            by=boss,
            task_id=task_id,
            number=numbers[0],
            outcome=NumberOutcome.SIM_BLOCKED,
        )
    outcomes = [
        (numbers[0], NumberOutcome.SIM_BLOCKED, ""),
        (numbers[1], NumberOutcome.NOT_FOUND, ""),
        (numbers[2], NumberOutcome.NOT_IN_USE, ""),
    ]
    for number, outcome, reason in outcomes:
        tasks.record_outcome(
            session=world.session,
            by=pta,
            task_id=task_id,
            number=number,
            outcome=outcome,
            reason=reason,
            now=T0 + timedelta(days=2),
        )
    counts = tasks.number_outcomes(session=world.session)
    assert (counts.sent, counts.pending, counts.sim_blocked) == (4, 1, 1)
    assert _part(world, task_id, "PTA").status is TaskStatus.ISSUED
    tasks.record_outcome(
        session=world.session,
        by=pta,
        task_id=task_id,
        number=numbers[3],
        outcome=NumberOutcome.REFUSED,
        reason="number belongs to a government line",
        now=T0 + timedelta(days=2),
    )
    # every number has an outcome: the regulator's part is answered
    assert _part(world, task_id, "PTA").status is TaskStatus.ANSWERED
    counts = tasks.number_outcomes(
        session=world.session, regulator_agency_id=world.agencies["PTA"].id
    )
    assert counts.model_dump() == {
        "sent": 4,
        "pending": 0,
        "sim_blocked": 1,
        "not_found": 1,
        "not_in_use": 1,
        "refused": 1,
    }
    assert (
        tasks.number_outcomes(
            session=world.session, issuer_agency_id=world.agencies["CTD-KP"].id
        ).sent
        == 0
    )
    audited = world.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "task.outcome")
    ).all()
    assert len(audited) == 4 and {e.agency_id for e in audited} == {world.agencies["PTA"].id}


def test_templates_issue_each_period_once(world: World) -> None:
    monday = date(2026, 11, 30)
    template = tasks.add_template(
        session=world.session,
        by=world.as_("cta-boss"),
        name="weekly-return",
        title="Weekly return",
        recipients=["CTD-KP", "CTD-PB"],
        every_days=7,
        due_days=3,
        starts_on=monday,
    )
    assert template.recipients == ["CTD-KP", "CTD-PB"]
    with pytest.raises(BadInput, match="already"):
        tasks.add_template(
            session=world.session,
            by=world.as_("cta-boss"),
            name="weekly-return",
            title="again",
            recipients=["CTD-KP"],
            every_days=7,
            due_days=3,
            starts_on=monday,
        )
    before = datetime(2026, 11, 29, 9, tzinfo=UTC)
    assert tasks.issue_due(session=world.session, now=before) == []
    first = tasks.issue_due(session=world.session, now=T0)
    assert len(first) == 1
    assert tasks.issue_due(session=world.session, now=T0 + timedelta(days=5)) == []  # same week
    second = tasks.issue_due(session=world.session, now=T0 + timedelta(days=6))
    assert len(second) == 1 and second != first
    view = tasks.task_view(session=world.session, by=world.as_("kp-boss"), task_id=second[0])
    assert view.title == "Weekly return (2026-12-07)" and view.kind is TaskKind.RETURN
    assert view.issued_by == "cta-boss"


def test_issuing_needs_the_right_and_real_recipients(world: World) -> None:
    with pytest.raises(Forbidden):
        tasks.issue(
            session=world.session,
            by=world.as_("cta-reviewer"),
            title="x",
            recipients=["CTD-KP"],
            due_days=7,
        )
    with pytest.raises(BadInput, match="other agencies"):
        _issue(world, recipients=["CTA"])
    with pytest.raises(NotFound):
        _issue(world, recipients=["CTD-XX"])
    with pytest.raises(BadInput, match="deadline"):
        _issue(world, due_days=None)
