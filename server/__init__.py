"""Rasa server plug-ins and the two servers' entry points: the tracker store, the atomic lock
store, the spooling event broker, hand-overs kept while a service is away, the patches to Rasa,
the endpoints file, `rasa run` and the action server as the help desk starts them."""
