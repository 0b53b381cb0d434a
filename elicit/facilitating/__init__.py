"""The facilitator's console: blueprint ``facilitating``, under ``/facilitate``."""

from elicit.facilitating.views import bp

__all__ = ["bp"]
