"""领导批示 (issue 11): a leader's instruction reaches exactly the unit's staff and its
supervisors, shows on the task's timeline; the answer (落实情况) reaches the leader; scoped."""

import pytest
from django.urls import reverse

from campaign.models import Role
from campaign.permissions import Refused
from rectification import services, timeline
from rectification.models import Instruction, InstructionReply, Notification
from tests.conftest import assert_refused, member
from tests.factories import SupervisionGroupFactory, UserFactory


@pytest.fixture
def people(city, campaign, unit_staff, staff_above, supervisor_in_scope, leader, co_unit_staff, supervisor_out_of_scope):
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="东区督导组")
    group.units.add(city["east"])
    group_member = UserFactory(username="group-member")
    group.members.add(group_member)
    return {"group_member": group_member}


def told(kind="instruction"):
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_an_instruction_reaches_exactly_the_units_staff_and_supervisors(
    city, task, people, leader, unit_staff, supervisor_in_scope, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        instruction = services.give_instruction(leader, None, "请东区社区三日内解决吃水问题", task=task)
    assert instruction.unit == city["east_community"]
    assert told() == {unit_staff.username, supervisor_in_scope.username, people["group_member"].username}
    # on the task's timeline
    entries = timeline.build(task).entries
    assert any(e.kind == "instruction" and "吃水" in e.text for e in entries)


def test_the_answer_reaches_the_leader_and_shows_beside_the_instruction(
    city, task, people, leader, unit_staff, client, django_capture_on_commit_callbacks
):
    instruction = services.give_instruction(leader, city["east_community"], "加快整改进度")
    client.force_login(unit_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rectification:instruction_detail", args=[instruction.pk]), {"text": "已召开专题会，落实资金"})
    assert response.status_code == 302
    assert InstructionReply.objects.get(instruction=instruction).author == unit_staff
    assert Notification.objects.get(kind="instruction", user=leader).url == instruction.get_absolute_url()
    client.force_login(leader)
    body = client.get(reverse("rectification:instruction_detail", args=[instruction.pk])).content.decode()
    assert "加快整改进度" in body and "已召开专题会，落实资金" in body
    assert 'data-testid="instruction-answer"' not in body  # the leader reads; the unit answers


def test_only_leaders_over_the_unit_instruct(city, task, people, supervisor_in_scope, unit_staff, other_district):
    for user in (supervisor_in_scope, unit_staff):
        with pytest.raises(Refused):
            services.give_instruction(user, city["east_community"], "批示")
    district_leader = member(other_district, Role.LEADER, "north-leader")
    with pytest.raises(Refused):
        services.give_instruction(district_leader, city["east_community"], "批示")
    assert not Instruction.objects.exists()


def test_instructions_are_scoped(city, task, people, leader, co_unit_staff, supervisor_out_of_scope, client):
    instruction = services.give_instruction(leader, city["east_community"], "加快整改进度")
    for user in (co_unit_staff, supervisor_out_of_scope):
        client.force_login(user)
        assert_refused(client.get(reverse("rectification:instruction_detail", args=[instruction.pk])), 404)
        assert "加快整改进度" not in client.get(reverse("rectification:instruction_list")).content.decode()


def test_a_leader_instructs_from_the_dashboard(city, task, people, leader, client):
    client.force_login(leader)
    page = client.get(reverse("reports:dashboard"), {"unit": city["east"].pk}).content.decode()
    assert 'data-testid="instruct-form"' in page
    back = reverse("reports:dashboard") + f"?unit={city['east'].pk}"
    response = client.post(reverse("rectification:instruct"), {"unit": city["east_street"].pk, "task": "", "text": "街道要督促社区", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert Instruction.objects.get().unit == city["east_street"]
    assert "街道要督促社区" in client.get(back).content.decode()


# --- from the task's own page ---------------------------------------------------------------


def test_a_leader_instructs_from_the_tasks_page(city, task, people, leader, unit_staff, supervisor_in_scope, client,
                                                django_capture_on_commit_callbacks):  # fmt: skip
    client.force_login(leader)
    page = client.get(task.get_absolute_url()).content.decode()
    assert 'data-testid="task-instruct"' in page
    assert f'name="task" value="{task.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rectification:instruct"), {"task": task.pk, "text": "三日内解决吃水问题", "next": task.get_absolute_url()}
        )
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    instruction = Instruction.objects.get()
    assert instruction.task == task and instruction.unit == city["east_community"] and instruction.author == leader
    assert told() == {unit_staff.username, supervisor_in_scope.username, people["group_member"].username}
    page = client.get(task.get_absolute_url()).content.decode()
    assert "三日内解决吃水问题" in page  # on the task's timeline


def test_a_mistake_on_the_tasks_page_keeps_what_the_leader_typed(task, people, leader, client):
    client.force_login(leader)
    typed = "请抓紧" * 1400  # over the 4000 characters an instruction holds
    response = client.post(reverse("rectification:instruct"), {"task": task.pk, "text": typed, "next": task.get_absolute_url()})
    assert response.status_code == 200
    page = response.content.decode()
    assert task.title in page and typed in page
    assert 'id="instruct" data-testid="task-instruct" open' in page
    assert 'class="errorlist"' in page
    assert not Instruction.objects.exists()


def test_the_units_staff_see_no_instruction_form_and_may_not_post_one(task, people, unit_staff, supervisor_in_scope, client):
    for user in (unit_staff, supervisor_in_scope):
        client.force_login(user)
        assert 'data-testid="task-instruct"' not in client.get(task.get_absolute_url()).content.decode()
        response = client.post(reverse("rectification:instruct"), {"task": task.pk, "text": "批示", "next": task.get_absolute_url()})
        assert_refused(response, 403)
    assert not Instruction.objects.exists()


def test_another_districts_leader_is_refused_on_the_task(task, people, other_district, client):
    district_leader = member(other_district, Role.LEADER, "north-leader")
    client.force_login(district_leader)
    assert_refused(client.get(task.get_absolute_url()), 404)
    response = client.post(reverse("rectification:instruct"), {"task": task.pk, "text": "批示", "next": task.get_absolute_url()})
    assert_refused(response, 404)
    assert not Instruction.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(task, people, client):
    response = client.post(reverse("rectification:instruct"), {"task": task.pk, "text": "批示", "next": task.get_absolute_url()})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not Instruction.objects.exists()
