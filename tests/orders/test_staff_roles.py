"""Staff roles: hosts and the kitchen run the restaurant's screens; its managers also read
insights and set up the room and timing; the owner (a superuser) runs every restaurant.
Everyone on a staff before roles existed stays on it, as a host."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orders.models import RestaurantProfile, StaffMembership, StaffRole

BEFORE_ROLES = ("orders", "0006_hardening")
WITH_ROLES = ("orders", "0007_staff_roles")


@pytest.mark.django_db
def test_every_role_runs_the_screens_but_only_managers_manage(
    restaurant, staff_user, manager_user, other_staff_user, django_user_model
):
    owner = django_user_model.objects.create(username="owner", is_superuser=True)
    assert restaurant.is_staffed_by(staff_user) and not restaurant.is_managed_by(staff_user)
    assert restaurant.is_staffed_by(manager_user) and restaurant.is_managed_by(manager_user)
    assert restaurant.is_staffed_by(owner) and restaurant.is_managed_by(owner)
    assert not restaurant.is_staffed_by(other_staff_user)
    assert not restaurant.is_managed_by(other_staff_user)


@pytest.mark.django_db
def test_a_manager_who_left_runs_nothing(restaurant, manager_user):
    manager_user.is_active = False
    manager_user.save()
    assert restaurant.role_of(manager_user) is None
    assert not restaurant.is_managed_by(manager_user)


@pytest.mark.django_db
def test_someone_added_to_the_staff_without_a_role_is_a_host(restaurant, django_user_model):
    newcomer = django_user_model.objects.create(username="newcomer")
    restaurant.staff.add(newcomer)
    assert StaffMembership.objects.get(restaurant=restaurant, user=newcomer).role == StaffRole.HOST
    assert list(RestaurantProfile.objects.filter(staff=newcomer)) == [restaurant]


@pytest.mark.django_db(transaction=True)
def test_everyone_on_a_staff_before_roles_stays_on_it_as_a_host():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_ROLES])
    try:
        old = executor.loader.project_state([BEFORE_ROLES]).apps
        Restaurant = old.get_model("orders", "RestaurantProfile")
        User = old.get_model("auth", "User")
        verde = Restaurant.objects.create(name="Trattoria Verde", slug="trattoria-verde")
        azul = Restaurant.objects.create(name="Casa Azul", slug="casa-azul")
        maria = User.objects.create(username="maria")
        joao = User.objects.create(username="joao")
        verde.staff.add(maria, joao)
        azul.staff.add(joao)

        executor = MigrationExecutor(connection)
        executor.migrate([WITH_ROLES])

        new = executor.loader.project_state([WITH_ROLES]).apps
        Membership = new.get_model("orders", "StaffMembership")
        kept = sorted(
            Membership.objects.values_list("restaurant__slug", "user__username", "role")
        )
        assert kept == [
            ("casa-azul", "joao", "host"),
            ("trattoria-verde", "joao", "host"),
            ("trattoria-verde", "maria", "host"),
        ]
        # The many-to-many reads through the same rows.
        NewRestaurant = new.get_model("orders", "RestaurantProfile")
        assert sorted(
            NewRestaurant.objects.get(slug="trattoria-verde").staff.values_list("username", flat=True)
        ) == ["joao", "maria"]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
