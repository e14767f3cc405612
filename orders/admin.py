"""The back office: restaurants, menus, parties and their history. The event logs are
read-only here, as everywhere."""

from django.contrib import admin

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


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    extra = 0
    fields = ("name", "price", "estimated_prep_time_minutes", "available")


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
class RestaurantProfileAdmin(admin.ModelAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        # A new restaurant may be given just a number of tables (it gets that many). After
        # that the counts follow the tables, which change only through the host stand.
        if obj is None:
            return ("currently_occupied_tables",)
        return ("total_tables", "currently_occupied_tables")


@admin.register(DiningTable)
class DiningTableAdmin(ReadOnlyAdmin):
    """Read-only here: set tables up on the host stand, so the room's counts stay right."""

    list_display = ("restaurant", "number", "seats", "walk_in", "walk_in_party_size")
    list_filter = ("restaurant", "seats", "walk_in")
    search_fields = ("restaurant__name",)


@admin.register(MenuItem)
class MenuItemAdmin(admin.ModelAdmin):
    list_display = ("name", "restaurant", "price", "estimated_prep_time_minutes", "available")
    list_filter = ("restaurant", "available")
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
class OrderAdmin(admin.ModelAdmin):
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
    )
    list_filter = ("restaurant", "status")
    search_fields = ("order_code", "customer_name", "phone", "email")
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
    )
    inlines = [OrderItemInline, OrderEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "order", "action", "from_status", "to_status", "actor_label")
    list_filter = ("action", "to_status", "order__restaurant")
    search_fields = ("order__order_code", "order__customer_name", "actor_label", "detail")
    date_hierarchy = "at"


@admin.register(RestaurantEvent)
class RestaurantEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "restaurant", "action", "actor", "detail")
    list_filter = ("action", "restaurant")
    search_fields = ("restaurant__name", "detail")
    date_hierarchy = "at"


@admin.register(OrderItem)
class OrderItemAdmin(admin.ModelAdmin):
    list_display = ("order", "menu_item", "quantity", "unit_price", "note")
    list_filter = ("order__restaurant",)
    search_fields = ("order__order_code", "menu_item__name", "note")
    readonly_fields = ("order", "menu_item", "quantity", "unit_price", "note")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
