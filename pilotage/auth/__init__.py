"""Users, roles, login and row-level scope of the team server (issue #10).

``model`` holds the :class:`User` every service function takes (``None`` is
single-user mode); ``scope`` turns a user into the filters that bound every
query; ``store`` reads and writes users, tokens, sessions and the audit log.
"""
