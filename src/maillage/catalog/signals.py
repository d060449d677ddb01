"""What the catalog tells the floors above it.

Writers on any floor (edits, publications, imports, merges, activity reports) announce that
the inventory changed; the apps that derive figures from it (indicators) connect in their
`ready()`. A lower floor never imports a higher one to tell it.
"""

from django.dispatch import Signal

# Sent inside the writer's transaction, with `reason` (a short French text for the logs).
inventory_changed = Signal()


def announce_inventory_change(sender: object, reason: str) -> None:
    inventory_changed.send(sender=sender, reason=reason)
