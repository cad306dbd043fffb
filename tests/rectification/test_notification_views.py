"""The notification list and marking read: one's own notifications only."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from rectification.models import Notification

LIST = reverse("rectification:notification_list")
READ_ALL = reverse("rectification:notification_read_all")


def note(user, key, title, minutes_ago=0, read=False, **fields):
    notification = Notification.objects.create(user=user, kind="alert", key=key, title=title, **fields)
    created = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    Notification.objects.filter(pk=notification.pk).update(created_at=created, read_at=created if read else None)
    notification.refresh_from_db()
    return notification


def read_url(notification):
    return reverse("rectification:notification_read", args=[notification.pk])


@pytest.fixture
def mine(unit_staff, task):
    return note(unit_staff, "alert:1", "超期:解决明达小区吃水难问题", url=task.get_absolute_url(), body="请说明原因")


@pytest.fixture
def theirs(other_district_staff):
    return note(other_district_staff, "alert:2", "北区的通知")


@pytest.mark.django_db
class TestList:
    def test_it_shows_my_notifications_unread_first_then_newest(self, client, unit_staff, theirs):
        old_unread = note(unit_staff, "a", "较早的未读", minutes_ago=60)
        new_read = note(unit_staff, "b", "最新的已读", minutes_ago=1, read=True)
        new_unread = note(unit_staff, "c", "最新的未读", minutes_ago=5)
        client.force_login(unit_staff)
        response = client.get(LIST)
        assert response.status_code == 200
        assert list(response.context["notifications"]) == [new_unread, old_unread, new_read]
        assert response.context["unread_count"] == 2
        assert theirs.title not in response.content.decode()

    def test_it_shows_the_text_and_a_button_that_opens_the_task(self, client, unit_staff, mine):
        client.force_login(unit_staff)
        html = client.get(LIST).content.decode()
        assert mine.title in html and "请说明原因" in html
        assert f'action="{read_url(mine)}"' in html
        # the notice's link is the task's full address, from SITE_URL
        assert f'value="http://campaign.test{mine.url}"' in html

    def test_unread_only(self, client, unit_staff):
        note(unit_staff, "a", "未读的")
        note(unit_staff, "b", "已读的", read=True)
        client.force_login(unit_staff)
        response = client.get(LIST, {"show": "unread"})
        assert [n.title for n in response.context["notifications"]] == ["未读的"]

    def test_it_pages_by_twenty(self, client, unit_staff):
        for i in range(25):
            note(unit_staff, f"k{i}", f"通知{i}", minutes_ago=i)
        client.force_login(unit_staff)
        assert len(client.get(LIST).context["notifications"]) == 20
        assert len(client.get(LIST, {"page": 2}).context["notifications"]) == 5

    def test_the_list_costs_the_same_queries_for_many_notifications(
        self, client, unit_staff, django_assert_max_num_queries
    ):
        for i in range(20):
            note(unit_staff, f"k{i}", f"通知{i}")
        client.force_login(unit_staff)
        with django_assert_max_num_queries(10):
            client.get(LIST)

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, mine):
        response = client.get(LIST)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
class TestMarkRead:
    def test_opening_a_notification_marks_it_read_and_goes_to_its_task(self, client, unit_staff, mine, task):
        client.force_login(unit_staff)
        response = client.post(read_url(mine), {"next": mine.link})
        assert response.status_code == 302 and response.url == "http://campaign.test" + task.get_absolute_url()
        mine.refresh_from_db()
        assert mine.read_at is not None

    def test_reading_twice_keeps_the_first_time(self, client, unit_staff, mine):
        client.force_login(unit_staff)
        client.post(read_url(mine))
        first = Notification.objects.get(pk=mine.pk).read_at
        client.post(read_url(mine))
        assert Notification.objects.get(pk=mine.pk).read_at == first

    def test_next_may_not_lead_off_the_site(self, client, unit_staff, mine):
        client.force_login(unit_staff)
        response = client.post(read_url(mine), {"next": "https://evil.example.com/"})
        assert response.url == LIST
        mine.refresh_from_db()
        assert mine.read_at is not None  # read all the same

    def test_with_htmx_it_returns_the_updated_item(self, client, unit_staff, mine):
        client.force_login(unit_staff)
        response = client.post(read_url(mine), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        html = response.content.decode()
        assert f'id="notification-{mine.pk}"' in html and "unread" not in html.split(">")[0]

    def test_nobody_reads_another_users_notification(self, client, unit_staff, theirs):
        client.force_login(unit_staff)
        assert client.post(read_url(theirs)).status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_a_get_changes_nothing(self, client, unit_staff, mine):
        client.force_login(unit_staff)
        assert client.get(read_url(mine)).status_code == 405
        mine.refresh_from_db()
        assert mine.read_at is None

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, mine):
        response = client.post(read_url(mine))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        mine.refresh_from_db()
        assert mine.read_at is None


@pytest.mark.django_db
class TestMarkAllRead:
    def test_it_marks_all_of_mine_and_none_of_theirs(self, client, unit_staff, mine, theirs):
        other = note(unit_staff, "x", "另一条")
        client.force_login(unit_staff)
        response = client.post(READ_ALL, follow=True)
        assert response.redirect_chain[-1][0] == LIST
        assert not Notification.objects.filter(user=unit_staff, read_at__isnull=True).exists()
        theirs.refresh_from_db()
        assert theirs.read_at is None
        assert {mine.pk, other.pk} <= {n.pk for n in response.context["notifications"]}

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, mine):
        response = client.post(READ_ALL)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        mine.refresh_from_db()
        assert mine.read_at is None


@pytest.mark.django_db
def test_the_page_header_count_is_the_users_unread_notifications(client, unit_staff, mine, theirs):
    client.force_login(unit_staff)
    response = client.get(LIST)
    assert int(str(response.context["unread_notifications"])) == 1
    client.post(read_url(mine))
    assert int(str(client.get(LIST).context["unread_notifications"])) == 0
