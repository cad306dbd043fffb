import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from campaign.models import Unit, UnitKind
from tests.factories import UnitFactory


@pytest.mark.django_db
class TestUnitTree:
    def test_a_new_unit_gets_its_path_from_its_parent(self, city):
        community = city["east_community"]
        ids = [city["city"].pk, city["east"].pk, city["east_street"].pk, community.pk]
        assert community.path == "/" + "".join(f"{pk:07d}/" for pk in ids)
        assert community.depth == 3
        assert Unit.objects.get(pk=community.pk).path == community.path

    def test_subtree_holds_the_unit_and_everything_below_it_only(self, city):
        names = set(Unit.objects.subtree(city["east"]).values_list("name", flat=True))
        assert names == {"中共东区委员会", "东区街道党工委", "东区社区党支部"}

    def test_subtree_does_not_confuse_ids_sharing_a_prefix(self, city):
        # /1/2/ must not match /1/23/: the trailing slash keeps them apart.
        parent = city["city"]
        siblings = [UnitFactory(parent=parent, kind=UnitKind.DEPARTMENT) for _ in range(12)]
        for sibling in siblings:
            assert set(Unit.objects.subtree(sibling)) == {sibling}

    def test_moving_a_unit_moves_its_whole_subtree(self, city):
        street = city["east_street"]
        street.parent = city["west"]
        street.save()
        community = Unit.objects.get(pk=city["east_community"].pk)
        assert community.path.startswith(city["west"].path)
        assert community.depth == 3
        assert community in Unit.objects.subtree(city["west"])
        assert community not in Unit.objects.subtree(city["east"])

    def test_a_unit_cannot_be_moved_under_its_own_descendant(self, city):
        district = city["east"]
        district.parent = city["east_community"]
        with pytest.raises(ValidationError):
            district.save()
        district.refresh_from_db()
        assert district.parent == city["city"]

    def test_a_unit_cannot_be_its_own_parent(self, city):
        district = city["east"]
        district.parent = district
        with pytest.raises(ValidationError):
            district.full_clean()

    def test_names_are_unique_under_one_parent(self, city):
        with pytest.raises(IntegrityError), transaction.atomic():
            UnitFactory(parent=city["east"], name="东区街道党工委")

    def test_the_same_name_is_allowed_under_another_parent(self, city):
        UnitFactory(parent=city["west"], name="东区街道党工委")

    def test_full_clean_reports_a_duplicate_name_in_the_users_terms(self, city):
        duplicate = Unit(parent=city["east"], name="东区街道党工委", kind=UnitKind.STREET)
        with pytest.raises(ValidationError) as error:
            duplicate.full_clean()
        assert "__all__" in error.value.message_dict

    def test_root_names_are_unique_too(self, city):
        with pytest.raises(IntegrityError), transaction.atomic():
            UnitFactory(parent=None, name="中共测试市委员会")

    def test_codes_are_unique_when_given(self, city):
        UnitFactory(parent=city["east"], code="")
        UnitFactory(parent=city["west"], code="")
        UnitFactory(parent=city["east"], code="E-01")
        with pytest.raises(IntegrityError), transaction.atomic():
            UnitFactory(parent=city["west"], code="E-01")

    def test_ordering_by_path_walks_the_tree_depth_first_in_the_order_set_up(self, city):
        # Ids of different lengths (9 and 10 here) must not interleave subtrees.
        late = [UnitFactory(parent=city["city"], kind=UnitKind.DEPARTMENT) for _ in range(10)]
        child_of_first = UnitFactory(parent=late[0], kind=UnitKind.INSTITUTION)
        ordered = list(Unit.objects.filter(parent=city["city"]).order_by("path"))
        assert ordered == sorted(ordered, key=lambda unit: unit.pk)
        walk = list(Unit.objects.order_by("path"))
        assert walk.index(child_of_first) == walk.index(late[0]) + 1

    def test_ancestors_run_from_the_root_down(self, city):
        assert list(city["east_community"].ancestors()) == [city["city"], city["east"], city["east_street"]]

    def test_a_unit_with_units_below_cannot_be_deleted(self, city):
        from django.db.models import ProtectedError

        with pytest.raises(ProtectedError):
            city["east"].delete()
