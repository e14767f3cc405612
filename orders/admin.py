"""The back office: restaurants, menus, parties and their history. The event logs are
read-only here, as everywhere.

A staff member who is not a superuser sees and edits only the rows of the restaurants they
staff, whatever model permissions they were given, and never a party's public token (its
link: enough to open a diner's page and make them leave) nor its form key. Superusers see
every restaurant."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.db import models
from django.http import Http404

from .models import (
    DiningTable,
    MenuItem,
    Order,
    OrderEvent,
    OrderItem,
    RestaurantEvent,
    RestaurantProfile,
    StaffMembership,
)


def restaurants_of(user):
    if user.is_superuser:
        return RestaurantProfile.objects.all()
    return RestaurantProfile.objects.filter(staff=user)


class RestaurantScoped:
    """Rows of the restaurants the user staffs only (superusers: all). `restaurant_path` is
    the lookup from the model to its restaurant ("" for RestaurantProfile itself). Opening
    another restaurant's row by its address finds nothing, like a row that does not exist."""

    restaurant_path = "restaurant"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        staff = f"{self.restaurant_path}__staff" if self.restaurant_path else "staff"
        return queryset.filter(**{staff: request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is RestaurantProfile:
            kwargs["queryset"] = restaurants_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# Only the restaurants in the (scoped) list, never every restaurant's name.
BY_RESTAURANT = ("restaurant", admin.RelatedOnlyFieldListFilter)
BY_ORDER_RESTAURANT = ("order__restaurant", admin.RelatedOnlyFieldListFilter)
# Never shown to anyone but a superuser: the party's link and its join form's key.
SECRET_ORDER_FIELDS = ("public_token", "submission_key")


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    extra = 0
    fields = ("name", "course", "price", "estimated_prep_time_minutes", "available")


class StaffMembershipInline(admin.TabularInline):
    """Who runs the restaurant, and as what: hosts and the kitchen run the screens, managers
    also see insights and set up the room and timing."""

    model = StaffMembership
    extra = 0
    fields = ("user", "role")
    verbose_name = "staff member"
    verbose_name_plural = "staff"


class DiningTableInline(admin.TabularInline):
    """The room, for reference: tables are set up on the host stand (orders.services), which
    keeps total_tables and the occupied count in step with them."""

    model = DiningTable
    extra = 0
    fields = ("number", "seats", "walk_in", "walk_in_party_size", "walk_in_seated_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never edited here: the app's services keep these rows right."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RestaurantProfile)
class RestaurantProfileAdmin(RestaurantScoped, admin.ModelAdmin):
    restaurant_path = ""

    list_display = (
        "name",
        "slug",
        "accepting_joins",
        "currently_occupied_tables",
        "total_tables",
        "avg_dine_in_duration_minutes",
    )
    list_filter = ("accepting_joins",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [StaffMembershipInline, MenuItemInline, DiningTableInline]
    # A map link typed without its scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        # A new restaurant may be given just a number of tables (it gets that many). After
        # that the counts follow the tables, which change only through the host stand.
        fields = ("currently_occupied_tables",) if obj is None else ("total_tables", "currently_occupied_tables")
        if not request.user.is_superuser:
            # Who staffs which restaurant is the owner's to say: a manager given the change
            # permission can neither add accounts to their restaurant nor see every username.
            fields += ("staff",)
        return fields

    def has_add_permission(self, request):
        # A restaurant its creator did not staff would vanish from their own list.
        return request.user.is_superuser and super().has_add_permission(request)

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        if not request.user.is_superuser:
            # Its user list would name every account; who staffs what is the owner's to say.
            inlines = [inline for inline in inlines if inline is not StaffMembershipInline]
        return inlines


@admin.register(DiningTable)
class DiningTableAdmin(RestaurantScoped, ReadOnlyAdmin):
    """Read-only here: set tables up on the host stand, so the room's counts stay right."""

    list_display = ("restaurant", "number", "seats", "walk_in", "walk_in_party_size")
    list_filter = (BY_RESTAURANT, "seats", "walk_in")
    search_fields = ("restaurant__name",)


@admin.register(MenuItem)
class MenuItemAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("name", "restaurant", "course", "price", "estimated_prep_time_minutes", "available")
    list_filter = (BY_RESTAURANT, "course", "available")
    search_fields = ("name", "description")
    list_editable = ("available",)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            # A dish on parties' orders is kept for their history (PROTECT), which no
            # permission changes: say that (the page then lists those orders' lines and
            # suggests taking the dish off the menu instead), not "you lack permission".
            perms_needed = set()
        return deleted, counts, perms_needed, protected


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    readonly_fields = ("menu_item", "quantity", "unit_price", "note")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ("at", "action", "from_status", "to_status", "actor_label", "detail")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(RestaurantScoped, admin.ModelAdmin):
    """Status, times, party size and table change only through the host stand and kitchen
    (orders.services), so the transition and seating rules and the event log cannot be
    bypassed here. A name, phone or email can be corrected."""

    list_display = (
        "order_code",
        "customer_name",
        "restaurant",
        "party_size",
        "status",
        "queue_position",
        "quoted_wait_minutes",
        "joined_at",
        "added_by_host",
    )
    list_filter = (BY_RESTAURANT, "status", "added_by_host")
    search_fields = ("order_code", "customer_name", "phone", "email")
    # "View on site" would lead to the party's own page, whose address is its token.
    view_on_site = False
    date_hierarchy = "joined_at"
    readonly_fields = (
        "restaurant",
        "party_size",
        "travel_minutes",
        "table",
        "actual_wait_minutes",
        "order_code",
        "public_token",
        "submission_key",
        "queue_position",
        "status",
        "quoted_wait_minutes",
        "joined_at",
        "notified_at",
        "target_arrival_time",
        "fired_at",
        "food_ready_at",
        "seated_at_time",
        "completed_at_time",
        "ended_at",
        "added_by_host",
    )
    inlines = [OrderItemInline, OrderEventInline]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return tuple(f for f in fields if f not in SECRET_ORDER_FIELDS)

    def get_exclude(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_exclude(request, obj)
        return (*(super().get_exclude(request, obj) or ()), *SECRET_ORDER_FIELDS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderEvent)
class OrderEventAdmin(RestaurantScoped, ReadOnlyAdmin):
    restaurant_path = "order__restaurant"
    list_display = ("at", "order", "action", "from_status", "to_status", "actor_label")
    list_filter = ("action", "to_status", BY_ORDER_RESTAURANT)
    search_fields = ("order__order_code", "order__customer_name", "actor_label", "detail")
    date_hierarchy = "at"


@admin.register(RestaurantEvent)
class RestaurantEventAdmin(RestaurantScoped, ReadOnlyAdmin):
    list_display = ("at", "restaurant", "action", "actor", "detail")
    list_filter = ("action", BY_RESTAURANT)
    search_fields = ("restaurant__name", "detail")
    date_hierarchy = "at"


@admin.register(OrderItem)
class OrderItemAdmin(RestaurantScoped, admin.ModelAdmin):
    restaurant_path = "order__restaurant"
    list_display = ("order", "menu_item", "quantity", "unit_price", "note")
    list_filter = (BY_ORDER_RESTAURANT,)
    search_fields = ("order__order_code", "menu_item__name", "note")
    readonly_fields = ("order", "menu_item", "quantity", "unit_price", "note")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" redirect (/admin/r/<type>/<id>/), which Django gives any
    staff account for any row with a page of its own. A party's page is its public token,
    so for orders only a superuser is sent there; everyone else finds nothing."""
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    if content_type is not None and content_type.model_class() is Order and not request.user.is_superuser:
        raise Http404("There is nothing at this address.")
    return shortcut(request, content_type_id, object_id)


# Accounts: the owner can lift a login lockout (too many wrong passwords, django-axes) here.
User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffAccountAdmin(UserAdmin):
    actions = ["unlock_login"]

    @admin.action(description="Unlock login (forget the failed logins of these accounts)")
    def unlock_login(self, request, queryset):
        from axes.utils import reset

        names = [user.get_username() for user in queryset]
        for name in names:
            reset(username=name)
        self.message_user(
            request,
            f"Unlocked: {', '.join(names)}. A lockout of their address (many failed logins "
            "from one place) is lifted under Axes, Access attempts.",
            messages.SUCCESS,
        )
