"""Spanscope's Streamlit UI (it talks to the server over HTTP only)."""
