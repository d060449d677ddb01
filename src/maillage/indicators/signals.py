"""What the indicators tell the floors above them (impacts) without importing them."""

from django.dispatch import Signal

# Sent at the end of `services.recompute`, inside its transaction, with `run` (the new
# IndicatorRun) and `progress` (a callable taking a French message, for the logs): what is
# precomputed with the indicators is recomputed with them and committed together.
figures_refreshed = Signal()
