"""Adapters to optional outside libraries; each is the only module that imports its library."""
