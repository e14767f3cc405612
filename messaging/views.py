"""Messaging's addresses: Twilio's webhooks (inbound texts, delivery status callbacks), the
web push pieces (the service worker, the web app manifest, a browser's subscription), and
the host's free-text message to a party."""

import json
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.templatetags.static import static
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from orders import clock, services
from orders.models import Order
from orders.views.access import staff_of_restaurant
from orders.views.fragments import render_flash

from . import outbox, replies, texts
from .backends.push import push_enabled
from .backends.sms import twilio_error_text
from .models import Message, PushSubscription, State

logger = logging.getLogger("messaging")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def public_url(request):
    """The URL Twilio requested, which its signature covers: behind a proxy, the
    configured PUBLIC_BASE_URL plus the path and query; else the URL the request came to."""
    if settings.PUBLIC_BASE_URL_FROM_ENV:
        return settings.PUBLIC_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


def signed_by_twilio(request):
    from twilio.request_validator import RequestValidator

    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(public_url(request), request.POST, signature)


def _refuse(request):
    logger.warning("Refused a webhook without a valid Twilio signature: %s", request.path)
    return HttpResponseForbidden("This address takes requests signed by Twilio only.", content_type="text/plain")


@csrf_exempt
@require_POST
def inbound_text(request):
    """A text from a diner (Twilio's incoming message webhook)."""
    if not signed_by_twilio(request):
        return _refuse(request)
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    sender = request.POST.get("From", "")
    if not sid or not sender:
        return HttpResponse("MessageSid and From are needed.", status=400, content_type="text/plain")
    replies.handle(
        sid=sid[:64],
        from_number=sender[:32],
        to_number=request.POST.get("To", "")[:32],
        body=request.POST.get("Body", ""),
        opt_out_type=request.POST.get("OptOutType", ""),
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


# Twilio's MessageStatus -> ours. queued/accepted/sending say nothing new.
STATUSES = {"sent": State.SENT, "delivered": State.DELIVERED, "undelivered": State.FAILED, "failed": State.FAILED}


@csrf_exempt
@require_POST
def delivery_status(request):
    """Twilio's status callback for a text we sent (?m=<message id>)."""
    if not signed_by_twilio(request):
        return _refuse(request)
    status = STATUSES.get(request.POST.get("MessageStatus", ""))
    sid = request.POST.get("MessageSid", "")[:64]
    raw_id = request.GET.get("m", "")
    if status is None or not sid:
        return HttpResponse(status=204)
    now = clock.now()
    with transaction.atomic():
        found = Message.objects.select_for_update().filter(provider_id=sid)
        if raw_id.isdigit():
            found = Message.objects.select_for_update().filter(pk=int(raw_id))
        message = found.select_related("order__restaurant").first()
        if message is None or message.state in (State.DELIVERED, State.FAILED):
            return HttpResponse(status=204)  # unknown, or already final: nothing to change
        fields = {"provider_id": sid, "updated_at": now}
        if status == State.DELIVERED:
            fields.update(state=State.DELIVERED, delivered_at=now, sent_at=message.sent_at or now, error="")
        elif status == State.SENT:
            if message.state == State.SENT:
                return HttpResponse(status=204)
            # A callback for a text whose worker died mid-send: it did go out.
            fields.update(state=State.SENT, sent_at=message.sent_at or now, claimed_by="", claimed_until=None)
        else:
            code = request.POST.get("ErrorCode", "")
            fields.update(
                state=State.FAILED, failed_at=now, error_code=code[:20],
                error=f"{request.POST.get('MessageStatus')}: {twilio_error_text(code)}"[:300],
                claimed_by="", claimed_until=None,
            )
        Message.objects.filter(pk=message.pk).update(**fields)
        if status == State.FAILED:
            outbox.fallback(message, now=now)
        services.screens_changed(message.restaurant_id, [message.order_id])
    return HttpResponse(status=204)


# Kept with the other scripts (static/js/), served from here: a service worker's scope is
# the folder of its address, and it must cover /q/<token>/.
SERVICE_WORKER = Path(settings.BASE_DIR) / "static" / "js" / "sw.js"


@require_safe
def service_worker(request):
    """The service worker, at the site's root so its scope covers every diner's page."""
    response = HttpResponse(SERVICE_WORKER.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def _order_or_404(token):
    order = Order.objects.select_related("restaurant").filter(public_token=token).first()
    if order is None:
        raise Http404("No party in any queue has this link. Check the link you were sent.")
    return order


@require_safe
def manifest(request, token):
    """The web app manifest of one diner's page: added to the home screen (how iPhones get
    web push), it opens that page."""
    order = _order_or_404(token)
    start = f"/q/{order.public_token}/"
    body = {
        "name": f"{order.restaurant.name} queue",
        "short_name": texts.shortened(texts.plain_name(order.restaurant.name), 12),
        "start_url": start,
        "scope": "/",
        "display": "standalone",
        "background_color": "#fafaf9",
        "theme_color": "#047857",
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json")


MAX_SUBSCRIPTION_BYTES = 4096


@require_POST
def subscribe(request, token):
    """The diner's browser allowed notifications: keep its push subscription, and web push
    becomes one of the diner's chosen channels."""
    order = _order_or_404(token)
    if not push_enabled():
        return JsonResponse({"error": "Notifications are not set up here."}, status=409)
    if len(request.body) > MAX_SUBSCRIPTION_BYTES:
        return JsonResponse({"error": "That is not a push subscription."}, status=400)
    try:
        data = json.loads(request.body)
        endpoint = str(data["endpoint"])
        keys = data["keys"]
        p256dh, auth = str(keys["p256dh"]), str(keys["auth"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "That is not a push subscription."}, status=400)
    if not endpoint.startswith(("https://", "http://")) or len(endpoint) > 1000 or len(p256dh) > 200 or len(auth) > 100:
        return JsonResponse({"error": "That is not a push subscription."}, status=400)
    if order.is_final:
        return JsonResponse({"error": "Your visit is over."}, status=409)
    with transaction.atomic():
        PushSubscription.objects.update_or_create(
            order=order, endpoint=endpoint,
            defaults={"p256dh": p256dh, "auth": auth, "active": True, "created_at": clock.now()},
        )
        if not order.notify_by_push:
            services.set_contact(
                order.pk, phone=order.phone, email=order.email, sms=order.notify_by_sms,
                push=True, email_chosen=order.notify_by_email,
            )
    return JsonResponse({"ok": True, "message": "We'll notify this browser when it's time."})


@require_POST
@staff_of_restaurant
def host_message(request, restaurant, order_id):
    """The host sends a party a short message, on the channels the diner chose."""
    order = Order.objects.select_related("restaurant").filter(pk=order_id, restaurant=restaurant).first()
    htmx = request.headers.get("HX-Request") == "true"

    def answer(text, level, status):
        if htmx:
            return HttpResponse(render_flash(text, level, request), status=status)
        from django.contrib import messages
        from django.shortcuts import redirect

        (messages.success if level == "success" else messages.error)(request, text)
        return redirect("staff:host", slug=restaurant.slug)

    if order is None:
        return answer(f"That party is not in {restaurant.name}'s list any more.", "error", 404)
    note = request.POST.get("note", "")
    problem = texts.host_note_problem(note, restaurant.name)
    if problem:
        return answer(problem, "error", 400)
    if not order.notify_channels:
        return answer(f"{order.customer_name} ({order.order_code}) chose no way to be messaged.", "error", 409)
    if order.is_final:
        return answer(f"{order.customer_name} ({order.order_code}) has left.", "error", 409)
    with transaction.atomic():
        rows = outbox.host_note(order, note, request.user)
        services.screens_changed(restaurant.pk, [order.pk])
    if not any(row.state == State.QUEUED for row in rows):
        reason = rows[0].error if rows else "nothing to send"
        return answer(f"Not sent to {order.customer_name}: {reason}.", "error", 409)
    return answer(f"Message to {order.customer_name} ({order.order_code}) is on its way.", "success", 200)
