from django.apps import AppConfig


class LiveQueueConfig(AppConfig):
    name = "live_queue"
    verbose_name = "Live queue"

    def ready(self):
        from orders.signals import queue_changed

        from .broadcast import on_queue_changed

        queue_changed.connect(on_queue_changed, dispatch_uid="live_queue.broadcast")

        from . import access

        access.connect()
