"""The back office: restaurants, menus, parties and their history. The event logs are
read-only here, as everywhere."""

from django.contrib import admin

from .models import MenuItem, Order, OrderEvent, OrderItem, RestaurantEvent, RestaurantProfile


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    extra = 0
    fields = ("name", "price", "estimated_prep_time_minutes", "available")


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
    filter_horizontal = ("staff",)
    inlines = [MenuItemInline]


@admin.register(MenuItem)
class MenuItemAdmin(admin.ModelAdmin):
    list_display = ("name", "restaurant", "price", "estimated_prep_time_minutes", "available")
    list_filter = ("restaurant", "available")
    search_fields = ("name", "description")
    list_editable = ("available",)


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
    """Status and times change only through the host stand and kitchen (orders.services),
    so the transition rules and the event log cannot be bypassed here."""

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


class ReadOnlyLogAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyLogAdmin):
    list_display = ("at", "order", "action", "from_status", "to_status", "actor_label")
    list_filter = ("action", "to_status", "order__restaurant")
    search_fields = ("order__order_code", "order__customer_name", "actor_label", "detail")
    date_hierarchy = "at"


@admin.register(RestaurantEvent)
class RestaurantEventAdmin(ReadOnlyLogAdmin):
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
