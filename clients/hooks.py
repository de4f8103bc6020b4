"""Events of the clients app that other apps react to (core.hooks)."""

from core.hooks import Hook

# Sent with group_ids=[...] after the derived membership of these groups was rewritten, in the same
# transaction (circles mirrors controlled entities into the circle).
membership_rebuilt = Hook("clients.membership_rebuilt")
