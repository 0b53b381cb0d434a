"""The facilitator's console: blueprint ``facilitating``, under ``/facilitate``.

The blueprint and the words its pages use live in :mod:`.blueprint`, the
lookups every page shares in :mod:`.lookup`, the study page in :mod:`.views`,
the round controls (opening, closing times, closing) in :mod:`.rounds`, the
study's round settings in :mod:`.round_settings` and the rationales page in
:mod:`.rationales`.
"""

from elicit.facilitating import rationales, round_settings, rounds, views
from elicit.facilitating.blueprint import bp

__all__ = ["bp", "rationales", "round_settings", "rounds", "views"]
