"""What orders/ announces to the rest of the project.

`queue_changed(restaurant_id, order_ids)` is sent after a transaction that changed a
restaurant's queue, tables or tickets has committed. Listeners (live_queue) must treat it as
a hint to re-read the database, never as the data itself.
"""

from django.dispatch import Signal

queue_changed = Signal()
