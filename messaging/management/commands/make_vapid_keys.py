"""Make a VAPID key pair for web push (py-vapid), printed as the two environment variables
the app reads:

    python manage.py make_vapid_keys >> .env

Keep VAPID_PRIVATE_KEY secret. Changing the pair later makes every browser's subscription
useless (they were made for the old public key): diners would have to allow notifications
again."""

import base64

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Command(BaseCommand):
    help = "Print a new VAPID key pair for web push: VAPID_PUBLIC_KEY=... and VAPID_PRIVATE_KEY=..."

    def handle(self, *args, **options):
        from py_vapid import Vapid

        vapid = Vapid()
        vapid.generate_keys()
        public = vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
        self.stdout.write(f"VAPID_PUBLIC_KEY={b64url(public)}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={b64url(private)}")
