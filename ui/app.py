"""The Spanscope UI: ``streamlit run ui/app.py`` (``spanscope up`` does it for you).

Every page has its own URL, so a trace, a filtered list or a session can be shared as a
link: /traces?status=error, /trace?id=..., /sessions, /session?id=..., /overview. The root
URL lands on Traces, keeping its query string.
"""

from __future__ import annotations

import streamlit as st

from ui import client
from ui.navigation import ALL, TRACES
from ui.text import plain


def _land_on_traces() -> None:
    st.switch_page(TRACES, query_params=st.query_params.to_dict())


st.set_page_config(page_title="Spanscope", page_icon="🔭", layout="wide")
# The project a server admin chose on the Project page; every page's API calls act on it.
client.use_project(st.session_state.get("project"))
client.use_key(st.session_state.get("api_key"))


def _ask_for_a_key(refused: client.ApiError) -> None:
    """The collector wants an API key this session has not given (or gave wrong): ask for one."""
    st.title("Spanscope", anchor=False)
    if st.session_state.get("api_key"):
        st.error(plain(f"That key was refused: {refused}", 300))
    else:
        st.info("This collector needs an API key (a read key at least; an admin key to manage keys).")
    with st.form("api-key"):
        typed = st.text_input("API key", type="password", help="Kept in this browser session only")
        if st.form_submit_button("Use this key", type="primary") and typed.strip():
            st.session_state["api_key"] = typed.strip()
            st.session_state.pop("project", None)
            st.rerun()


refused = client.key_refused()
if refused is not None:
    _ask_for_a_key(refused)
    st.stop()
st.navigation(
    [st.Page(_land_on_traces, title="Spanscope", default=True, visibility="hidden"), *ALL], position="top"
).run()
