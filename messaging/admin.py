"""The message log in the back office: per restaurant (filter), per party (the party's page
lists its messages; the log filters by party), the texts diners sent, the numbers that
replied STOP. Read-only: the outbox is written by the app and the worker alone.

Scoped like orders/admin.py: a staff member who is not a superuser sees only the rows of the
restaurants they staff, and never a party's link: the link in a message's words is shown
with its token cut out, and push subscriptions (enough to send that browser notifications)
are the superuser's alone."""

from django.contrib import admin
from django.utils.html import format_html
from django.urls import reverse

from orders.admin import BY_RESTAURANT, OrderAdmin, ReadOnlyAdmin, RestaurantScoped
from orders.models import Order

from .models import InboundText, Message, OptOut, PushSubscription


def redacted(message_or_text, token):
    return message_or_text.replace(token, "…") if token else message_or_text


class WordsWithoutTheLink:
    @admin.display(description="words")
    def words(self, obj):
        return redacted(obj.body, obj.order.public_token)


@admin.register(Message)
class MessageAdmin(WordsWithoutTheLink, RestaurantScoped, ReadOnlyAdmin):
    list_display = ("created_at", "restaurant", "party", "kind", "channel", "to", "state", "attempts", "sent_at", "error")
    list_filter = (BY_RESTAURANT, "state", "kind", "channel")
    search_fields = ("order__order_code", "order__customer_name", "to", "provider_id")
    date_hierarchy = "created_at"
    list_select_related = ("order", "restaurant")
    fields = (
        "restaurant", "party", "kind", "channel", "to", "subject", "words", "state", "attempts",
        "next_attempt_at", "provider_id", "error", "error_code", "created_at", "sent_at",
        "delivered_at", "failed_at", "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="party", ordering="order__order_code")
    def party(self, obj):
        url = reverse("admin:messaging_message_changelist") + f"?order__id__exact={obj.order_id}"
        return format_html('<a href="{}">{} {}</a>', url, obj.order.order_code, obj.order.customer_name)


@admin.register(InboundText)
class InboundTextAdmin(RestaurantScoped, ReadOnlyAdmin):
    list_display = ("received_at", "restaurant", "order", "from_number", "body", "reading", "detail")
    list_filter = (BY_RESTAURANT, "reading")
    search_fields = ("from_number", "body", "order__order_code")
    date_hierarchy = "received_at"


@admin.register(OptOut)
class OptOutAdmin(ReadOnlyAdmin):
    """Numbers that replied STOP (across restaurants: one number, one sender). Superusers
    only."""

    list_display = ("phone", "keyword", "at")
    search_fields = ("phone",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("order", "created_at", "active")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


class MessageInline(WordsWithoutTheLink, admin.TabularInline):
    model = Message
    extra = 0
    fields = ("created_at", "kind", "channel", "to", "state", "attempts", "sent_at", "error", "words")
    readonly_fields = fields
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None):
        return False


class InboundTextInline(admin.TabularInline):
    model = InboundText
    extra = 0
    fields = ("received_at", "from_number", "body", "reading", "detail")
    readonly_fields = fields
    can_delete = False
    fk_name = "order"

    def has_add_permission(self, request, obj=None):
        return False


class OrderWithMessagesAdmin(OrderAdmin):
    """The party's page in the back office, with its messages and the texts it sent."""

    inlines = [*OrderAdmin.inlines, MessageInline, InboundTextInline]


admin.site.unregister(Order)
admin.site.register(Order, OrderWithMessagesAdmin)
