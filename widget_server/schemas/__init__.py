"""Marshmallow schemas at the edges: what the REST API and the sockets load and dump."""
