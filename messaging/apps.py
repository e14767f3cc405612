from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messages to diners"

    def ready(self):
        from orders import selectors, signals

        from . import checks, host, outbox  # noqa: F401  (checks registers itself)

        for signal, receiver in (
            (signals.party_joined, outbox.on_party_joined),
            (signals.party_notified, outbox.on_party_notified),
            (signals.party_getting_close, outbox.on_party_getting_close),
            (signals.party_wait_changed, outbox.on_party_wait_changed),
            (signals.party_ended, outbox.on_party_ended),
            (signals.party_answered, outbox.on_party_answered),
        ):
            signal.connect(receiver, dispatch_uid=f"messaging.{receiver.__name__}")
        selectors.add_snapshot_reader(host.read_messages)
