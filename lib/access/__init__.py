"""Who may see and do what: roles, users with a scope, kiosk tokens, the audit (issue #16).

No Streamlit here. The app (ui/access.py), the CLIs (``--as NAME``) and the query layer all take a
:class:`~lib.access.viewer.Viewer`, the typed value that says which units its holder sees at unit level
(and, in a store of several counties, which county).

    python -m lib.access user add NAME --role ROLE [--county CODE] [--area CODE] [--unit CODE] --password-stdin
    python -m lib.access user list | disable NAME | enable NAME | password NAME  (the new password on stdin)
    python -m lib.access token add LABEL --view PAGE[?QUERY] [--county CODE] [--area CODE]
    python -m lib.access token list | token revoke LABEL
"""

from lib.access.viewer import OPEN, AccessError, Viewer

__all__ = ["OPEN", "AccessError", "Viewer"]
