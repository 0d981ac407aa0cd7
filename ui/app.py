"""The Spanscope UI: ``streamlit run ui/app.py`` (``spanscope up`` does it for you).

Every page has its own URL, so a trace, a filtered list or a session can be shared as a
link: /traces?status=error, /trace?id=..., /sessions, /session?id=..., /overview. The root
URL lands on Traces, keeping its query string.
"""

from __future__ import annotations

import streamlit as st

from ui import client
from ui.navigation import ALL, TRACES


def _land_on_traces() -> None:
    st.switch_page(TRACES, query_params=st.query_params.to_dict())


st.set_page_config(page_title="Spanscope", page_icon="🔭", layout="wide")
# The project a server admin chose on the Project page; every page's API calls act on it.
client.use_project(st.session_state.get("project"))
st.navigation(
    [st.Page(_land_on_traces, title="Spanscope", default=True, visibility="hidden"), *ALL], position="top"
).run()
