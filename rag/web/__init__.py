"""The browser chat, the embeddable widget and the JSON API, served from one process."""
from .server import WebConfig, create_app, parse_origins

__all__ = ["WebConfig", "create_app", "parse_origins"]
