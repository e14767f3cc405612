"""What orders/ announces to the rest of the project.

Two moments (docs: ARCHITECTURE.md, "Side effects: two moments"):

On commit, a notification that may be lost without harm:
- `queue_changed(restaurant_id, order_ids)` is sent after a transaction that changed a
  restaurant's queue, tables or tickets has committed. Listeners (live_queue) must treat it
  as a hint to re-read the database, never as the data itself.

Inside the transaction, domain events whose effects must never be lost nor happen for a
change that is rolled back (messaging/ writes an outbox row for each, in the same
transaction). A listener that raises makes the change fail: sent with `send`, not
`send_robust`. Each carries `order` (the Order as it is now, its restaurant attached) and
`now`:
- `party_joined`: the party has its place in the queue and its quote (on joining, or when
  the host accepts a party that asked to join).
- `party_notified`: told to head over now (by the host or the timing rules).
- `party_getting_close`: its projected seating is within its trip plus the restaurant's
  "getting close" minutes (once per party; sent by the queue clock).
- `party_wait_changed`: its projected seating moved by more than the restaurant's setting
  from what it was last told; also `before` and `after` (minutes of wait).
- `party_ended`: it left the evening before being seated; also `reason`: "left" (the diner),
  "removed" (the host), "no_show", "declined" (the host could not take a party that asked).
- `party_answered`: the party said it is on its way or running late; also `answer`
  ("on_my_way" or "late") and `minutes` (late only) and `via` ("page", "sms"...).
"""

from django.dispatch import Signal

queue_changed = Signal()

party_joined = Signal()
party_notified = Signal()
party_getting_close = Signal()
party_wait_changed = Signal()
party_ended = Signal()
party_answered = Signal()
