from django.apps import AppConfig


class LiveQueueConfig(AppConfig):
    name = "live_queue"
    verbose_name = "Live queue"
