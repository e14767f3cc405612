"""What every live page's script needs to know from the settings."""

from django.conf import settings


def live_pages(request):
    return {"live_heartbeat_ms": int(settings.LIVE_QUEUE_HEARTBEAT_SECONDS * 1000)}
