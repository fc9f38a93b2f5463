"""Plugins: the manager, the hookspecs, the registries and the contract tests (:mod:`colim.plugins.testing`);
the built-in plugins live in :mod:`colim.plugins.builtin`."""
