"""colim's built-in plugins. Each module here is loaded like a third-party plugin (see
``colim.plugins.manager.DEFAULT_PLUGINS``) and imports only colim's public API."""
